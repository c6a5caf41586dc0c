"""The build, step by step: load → validate → reason → build. No web code lives here."""
