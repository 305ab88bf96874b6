"""The peer-assessment domain: pure algorithms, models and use cases, free of web and queue code."""
