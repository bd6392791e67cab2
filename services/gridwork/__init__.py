"""Grid work: households and residents, visits, offline sync, ledgers, photos and phone reveals."""
