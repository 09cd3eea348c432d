using LeoFlow.Agent.Masking;

namespace LeoFlow.Agent.Tests.Harness;

public static class Registries
{
    /// <summary>A registry masking these tokens, as the agent's is once its token source is in it.</summary>
    public static SecretRegistry WithTokens(params string[] tokens)
    {
        var registry = new SecretRegistry();
        foreach (var token in tokens) registry.AddToken(token);
        return registry;
    }
}
