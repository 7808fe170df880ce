"""The change feed: events, the transactional outbox and webhook delivery."""
