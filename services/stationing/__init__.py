"""驻点直联: stationed teams, reception days, the notice board and the weekly summary."""
