using System.Text;
using Secret = System.Collections.Generic.KeyValuePair<string, string>;   // Key: where it came from, for a message (connection "db" password); Value: the secret

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
    private volatile SecretMasker _masker = new([]);
    private volatile bool _hasTaskSecrets;

    /// <summary>
    /// LEOFLOW_AGENT_MASK_SECRETS: false leaves the task's secrets unmasked. The tokens are masked
    /// regardless: they are the agent's credentials, not the task's.
    /// </summary>
    public bool MaskTaskSecrets { get; init; } = true;

    /// <summary>The secrets as they stand now; keep it for a line, fetch it again for the next.</summary>
    public SecretMasker Masker => _masker;

    /// <summary>Whether any of the task's secrets (not a token) is masked.</summary>
    public bool HasTaskSecrets => _hasTaskSecrets;

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
            bool changed = false, masked = false;
            Add(token, int.MaxValue, ref changed, ref masked);
            if (changed) Compile();
        }
    }

    /// <summary>
    /// The task's secrets: masked from now on, unless <see cref="MaskTaskSecrets"/> is off. Returns
    /// those that are not, being shorter than <see cref="MinLength"/> or longer than
    /// <see cref="MaxBytes"/> (one line of them, for a secret of several lines), named and why
    /// (<c>variable "pin" (shorter than 5 characters)</c>), for the agent to say so once.
    /// </summary>
    public List<string> AddTaskSecrets(List<Secret> secrets)
    {
        var unmasked = new List<string>();
        if (!MaskTaskSecrets) return unmasked;
        lock (_lock)
        {
            bool changed = false, masked = false;
            foreach (var secret in secrets)
                if (Add(secret.Value, MaxBytes, ref changed, ref masked) is { } why && !unmasked.Contains(secret.Key + why))
                    unmasked.Add(secret.Key + why);
            _hasTaskSecrets |= masked;
            if (changed) Compile();
        }
        return unmasked;
    }

    /// <summary>
    /// Adds each line of <paramref name="value"/> (the log is cut into lines, so a secret of several
    /// lines is masked line by line); says whether one is masked and one is new, and returns why
    /// one is not masked, if one is not.
    /// </summary>
    private string? Add(string value, int maxBytes, ref bool changed, ref bool masked)
    {
        string? refused = null;
        foreach (var piece in value.Split('\n'))
        {
            string line = piece.TrimEnd('\r');
            if (line.Length == 0) continue;
            var bytes = Encoding.UTF8.GetBytes(line);
            if (line.Length < MinLength || bytes.Length > maxBytes)
            {
                refused = line.Length < MinLength ? " (shorter than 5 characters)" : " (longer than 32 KiB)";   // MinLength, MaxBytes
                continue;
            }
            masked = true;
            if (!_seen.Add(line)) continue;
            _values.Add(bytes);
            changed = true;
        }
        return refused;
    }

    private void Compile() => _masker = new SecretMasker(_values);
}
