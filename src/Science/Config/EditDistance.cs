namespace Tract7dt.Science.Config;

/// <summary>Levenshtein distance (insert, delete, substitute; unit costs), for "did you mean".</summary>
public static class EditDistance
{
    public static int Levenshtein(string a, string b)
    {
        if (a.Length == 0) return b.Length;
        if (b.Length == 0) return a.Length;
        Span<int> prev = b.Length < 256 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        Span<int> cur = b.Length < 256 ? stackalloc int[b.Length + 1] : new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int sub = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                cur[j] = Math.Min(sub, Math.Min(prev[j] + 1, cur[j - 1] + 1));
            }
            cur.CopyTo(prev);
        }
        return prev[b.Length];
    }

    /// <summary>
    /// The known dotted key closest to the unknown <paramref name="path"/>, or null when
    /// nothing is close. A key whose last name matches exactly in another section wins
    /// (a key written in the wrong section); otherwise the smallest full-path distance, if
    /// it is at most max(2, a third of the unknown name's length).
    /// </summary>
    public static string? Suggest(string path, IEnumerable<string> known)
    {
        string leaf = path[(path.LastIndexOf('.') + 1)..];
        string? best = null;
        int bestD = int.MaxValue;
        foreach (string k in known)
        {
            string kLeaf = k[(k.LastIndexOf('.') + 1)..];
            int d = kLeaf == leaf ? 0 : Levenshtein(path, k);
            if (d < bestD) { bestD = d; best = k; }
        }
        int limit = Math.Max(2, leaf.Length / 3);
        return bestD <= limit ? best : null;
    }
}
