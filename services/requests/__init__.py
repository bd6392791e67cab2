"""Residents' requests: registering, the lifecycle's actions, the desk, routing, views and the public status check."""
