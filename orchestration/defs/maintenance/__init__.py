"""Nightly maintenance: retention of sessions, audit rows, lake versions and run history."""
