"""The foundation every other layer builds on: errors, parameter checks, frequencies and
seasons, thread caps, provenance (versions, data hashes) and the version. Imports nothing
from the rest of tsforecast."""
