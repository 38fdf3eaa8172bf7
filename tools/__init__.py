"""Local stand-ins for production's services (throw-away PostgreSQL clusters, a Redis server),
for the tests, the benchmarks and the one-machine production shape. Not part of the app."""
