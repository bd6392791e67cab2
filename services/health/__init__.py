"""Health as the API reports it: the scheduler's heartbeat."""
