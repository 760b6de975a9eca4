"""Helpers for the tests (no tests here): a Redis to test against, and what else tests share."""
