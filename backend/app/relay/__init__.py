"""The live relay between the operator's phone and the agent's page: actions one way, frames the other."""
