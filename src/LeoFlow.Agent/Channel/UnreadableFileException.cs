namespace LeoFlow.Agent.Channel;

/// <summary>A file could not be read; the message says why in words, to follow the file's name ("does not exist").</summary>
internal sealed class UnreadableFileException(string reason) : Exception(reason);
