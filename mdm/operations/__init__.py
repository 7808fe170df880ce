"""Operations: health and readiness, Prometheus metrics, backup and restore (README "Operations")."""
