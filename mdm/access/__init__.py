"""Access: accounts, API tokens, roles, login lock-out, API authentication and throttling."""
