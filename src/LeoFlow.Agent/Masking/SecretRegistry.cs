using System.Text;

namespace LeoFlow.Agent.Masking;

/// <summary>
/// Every secret masked in what the agent ships or writes (README, "Secrets in the task log"): the
/// bearer tokens it has held and the task's secrets (<see cref="SecretsOf"/>). Thread-safe: a
/// token file may rotate while the pipes' threads mask; each addition compiles a new
/// <see cref="SecretMasker"/> that readers pick up by reference, never a lock per line.
/// </summary>
public sealed class SecretRegistry
{
    /// <summary>What each occurrence becomes.</summary>
    public const string Mask = "***";

    /// <summary>A shorter value is not masked (Airflow's default too): masking "abc" would shred the log and still say what it is.</summary>
    public const int MinLength = 5;

    /// <summary>
    /// The longest secret masked, in bytes: half a log line, so that a line cut at 64 KiB can always
    /// be cut before a secret instead of through it (Process/LineSplitter).
    /// </summary>
    public const int MaxBytes = Process.LineSplitter.MaxLineBytes / 2;

    private readonly Lock _lock = new();
    private readonly List<byte[]> _values = [];
    private readonly HashSet<string> _seen = new(StringComparer.Ordinal);
    private volatile SecretMasker _masker = SecretMasker.Empty;
    private int _taskSecrets;

    public SecretRegistry(params IEnumerable<string> tokens)
    {
        foreach (var token in tokens) AddToken(token);
    }

    /// <summary>The secrets as they stand now; keep it for a line, fetch it again for the next.</summary>
    public SecretMasker Masker => _masker;

    /// <summary>Whether any of the task's secrets (not a token) is masked.</summary>
    public bool HasTaskSecrets => Volatile.Read(ref _taskSecrets) > 0;

    /// <summary>
    /// A bearer token: masked from now on, whatever its length. One shorter than a token may be is
    /// left alone: the configuration refuses it (Channel/TokenSource), and masking it would shred
    /// the very message saying so.
    /// </summary>
    public void AddToken(string token)
    {
        if (token.Length < Channel.TokenSource.MinLength) return;
        lock (_lock)
        {
            if (Add(token, int.MaxValue).New) Compile();
        }
    }

    /// <summary>
    /// The task's secrets: masked from now on. Returns those that are not, being shorter than
    /// <see cref="MinLength"/> or longer than <see cref="MaxBytes"/> (one line of them, for a
    /// secret of several lines), for the agent to say so once.
    /// </summary>
    public IReadOnlyList<Unmasked> AddTaskSecrets(IEnumerable<Secret> secrets)
    {
        var unmasked = new List<Unmasked>();
        lock (_lock)
        {
            bool changed = false;
            foreach (var secret in secrets)
            {
                var (masked, added, refused) = Add(secret.Value, MaxBytes);
                changed |= added;
                if (masked) _taskSecrets++;
                if (refused is { } why && !unmasked.Contains(new Unmasked(secret.Name, why))) unmasked.Add(new Unmasked(secret.Name, why));
            }
            if (changed) Compile();
        }
        return unmasked;
    }

    /// <summary>
    /// Adds each line of <paramref name="value"/> (the log is cut into lines, so a secret of several
    /// lines is masked line by line): whether one is masked, whether one is new, and why one is not.
    /// </summary>
    private (bool Masked, bool New, string? Refused) Add(string value, int maxBytes)
    {
        bool masked = false, added = false;
        string? refused = null;
        foreach (var piece in value.Split('\n'))
        {
            string line = piece.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.Length < MinLength || Encoding.UTF8.GetByteCount(line) > maxBytes)
            {
                refused = line.Length < MinLength ? $"shorter than {MinLength} characters" : $"longer than {maxBytes / 1024} KiB";
                continue;
            }
            masked = true;
            if (!_seen.Add(line)) continue;
            _values.Add(Encoding.UTF8.GetBytes(line));
            added = true;
        }
        return (masked, added, refused);
    }

    private void Compile() => _masker = new SecretMasker(_values);
}

/// <summary>A secret of the task that is not masked, and why (too short, too long).</summary>
public readonly record struct Unmasked(string Name, string Why);

/// <summary>One secret of the task and where it came from ("variable db_password", "connection warehouse password"), never its value.</summary>
public readonly record struct Secret(string Name, string Value);
