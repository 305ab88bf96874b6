"""Shared helpers for the test-suite: services, live servers, launches through the sandbox."""
