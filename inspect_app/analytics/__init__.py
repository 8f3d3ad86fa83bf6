"""The command line of the leadership figures' rollups (services/analytics)."""
