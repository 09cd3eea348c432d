namespace LeoFlow.Agent;

/// <summary>Missing or malformed configuration: the agent says so in one line and exits 2.</summary>
public sealed class ConfigurationException(string message) : Exception(message);
