"""The feed's models (app label ``mdm``): events, webhook subscriptions and deliveries."""
