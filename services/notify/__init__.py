"""Telling people: the notification outbox and its delivery channels."""
