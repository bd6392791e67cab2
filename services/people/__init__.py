"""Accounts and the org tree: sign-in, users, units, who reaches what, and the audit log's reader."""
