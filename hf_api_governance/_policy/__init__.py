"""Decisions: findings and decisions, user hooks, the built-in clause policies and the engine."""
