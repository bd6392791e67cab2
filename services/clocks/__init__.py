"""The 7-day promise: SLA timers, policies, the working-day calendar, deadline recounts and the sweep."""
