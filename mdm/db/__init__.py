"""Database helpers: bulk writers with history, advisory locks, lookups, forked workers."""
