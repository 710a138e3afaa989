namespace Seminar.Cli.Commands;

/// <summary>
/// Checks where a command will write before it does any work: a long run must not end on a read-only folder, or on a
/// path under a regular file, after hours of training.
/// </summary>
static class OutputPaths
{
    /// <summary>
    /// Throws <see cref="IOException"/> naming <paramref name="option"/> unless <paramref name="folder"/> is, or can be created
    /// as, a folder the process can write files in. Nothing is left behind: a missing folder is not created, its nearest
    /// existing ancestor is probed instead.
    /// </summary>
    public static void CheckWritableFolder(string folder, string option)
    {
        string full = Path.GetFullPath(folder);
        string existing = full;
        while (!Directory.Exists(existing))
        {
            // A regular file on the way: Directory.CreateDirectory would only say "already exists" at the end of the run.
            if (File.Exists(existing))
                throw new IOException(existing == full
                    ? $"{option}: '{full}' is a file, not a folder."
                    : $"{option}: '{full}' cannot be created: '{existing}' is a file, not a folder.");
            existing = Path.GetDirectoryName(existing) ?? throw new DirectoryNotFoundException($"{option}: '{full}' has no existing folder above it.");
        }
        // Permission bits, ACLs, read-only mounts and quotas all answer differently: only writing a file tells.
        string probe = Path.Combine(existing, $".seminar-write-check-{Guid.NewGuid():N}");
        try
        {
            using (File.Create(probe, 1)) { }
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: cannot write to '{existing}'{(existing == full ? "" : $" (to create '{full}')")}: {e.Message}", e);
        }
    }

    /// <summary>
    /// Throws <see cref="IOException"/> naming <paramref name="option"/> unless <paramref name="file"/> can be written: not a
    /// folder, its folder writable (<see cref="CheckWritableFolder"/>), and, when it exists, open for writing.
    /// </summary>
    public static void CheckWritableFile(string file, string option)
    {
        string full = Path.GetFullPath(file);
        if (Directory.Exists(full)) throw new IOException($"{option}: '{full}' is a folder, not a file.");
        CheckWritableFolder(Path.GetDirectoryName(full)!, option);
        if (!File.Exists(full)) return;
        try
        {
            // Opened for writing and closed untouched: the old report stays until the new one replaces it.
            using (new FileStream(full, FileMode.Open, FileAccess.Write)) { }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{option}: cannot overwrite '{full}': {e.Message}", e);
        }
    }
}
