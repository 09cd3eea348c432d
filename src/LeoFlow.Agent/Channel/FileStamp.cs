namespace LeoFlow.Agent.Channel;

/// <summary>
/// Which file a path led to (device and inode, through every symlink) and which version of it
/// (size, modification and change times): a rotation that swaps a symlink gives another inode, a
/// rewrite in place other times or size.
/// </summary>
internal readonly record struct FileStamp(uint DeviceMajor, uint DeviceMinor, ulong Inode, ulong Size,
    long ModifiedSeconds, uint ModifiedNanoseconds, long ChangedSeconds, uint ChangedNanoseconds);
