// Compiled twice: by MSBuild's RoslynCodeTaskFactory as a build task (TorchSharpGlibcxx.targets), and
// into the test project with SEMINAR_ELF_TESTS defined so the ELF logic is unit-tested on its own.
// The task factory compiles against netstandard2.0: no spans, no File.Move(overwrite).
#nullable enable
using System;
using System.IO;
using System.Text;

namespace Seminar.Build
{
#if !SEMINAR_ELF_TESTS
    /// <summary>Marks TorchSharp's GLIBCXX_3.4.32 requirement weak in output copies where the system lacks it.</summary>
    public class WeakenTorchSharpGlibcxxRequirement : Microsoft.Build.Utilities.Task
    {
        /// <summary>Copies of libLibTorchSharp.so in an output folder.</summary>
        [Microsoft.Build.Framework.Required]
        public Microsoft.Build.Framework.ITaskItem[] Files { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        /// <inheritdoc />
        public override bool Execute()
        {
            string? system = ElfVersionPatcher.FindSystemLibStdCxx();
            if (system == null)
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "No system libstdc++.so.6 found; TorchSharp native left as is.");
                return true;
            }
            if (ElfVersionPatcher.LibraryDefinesVersion(system, ElfVersionPatcher.TorchSharpVersion))
            {
                Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, system + " defines " + ElfVersionPatcher.TorchSharpVersion + "; no patch needed.");
                return true;
            }
            foreach (var item in Files)
            {
                string path = item.GetMetadata("FullPath");
                var outcome = ElfVersionPatcher.PatchFile(path);
                if (outcome == PatchOutcome.Refused)
                    Log.LogWarning(path + ": symbols other than " + ElfVersionPatcher.OnlyAllowedSymbol + " need " + ElfVersionPatcher.TorchSharpVersion + "; not patched, TorchSharp will not load on this system.");
                else
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal, path + ": " + outcome);
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif

    /// <summary>What <see cref="ElfVersionPatcher"/> did to a file.</summary>
    public enum PatchOutcome
    {
        /// <summary>Not a 64-bit little-endian ELF file, or no such version requirement.</summary>
        NotRequired,
        /// <summary>The requirement was already weak.</summary>
        AlreadyWeak,
        /// <summary>The requirement is now weak.</summary>
        Patched,
        /// <summary>Symbols other than the allowed one need the version, so weakening it would be unsafe.</summary>
        Refused,
    }

    /// <summary>Reads and edits the ELF <c>.gnu.version_r</c> section (64-bit little-endian only).</summary>
    public static class ElfVersionPatcher
    {
        /// <summary>The version TorchSharp 0.107.0 asks for that GCC 12's libstdc++ lacks.</summary>
        public const string TorchSharpVersion = "GLIBCXX_3.4.32";

        /// <summary>The one symbol behind that version: referenced by GCC 13's iostream to force the link, never called.</summary>
        public const string OnlyAllowedSymbol = "_ZSt21ios_base_library_initv";

        const ushort VerFlagWeak = 0x2;
        const uint ShtDynsym = 11, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;

        static readonly string[] LibStdCxxCandidates =
        {
            "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };

        /// <summary>The system's libstdc++.so.6, or null.</summary>
        public static string? FindSystemLibStdCxx()
        {
            foreach (var c in LibStdCxxCandidates)
                if (File.Exists(c)) return c;
            return null;
        }

        /// <summary>True when the library's bytes hold the version name as a NUL-terminated string (its version definitions do).</summary>
        public static bool LibraryDefinesVersion(string path, string version)
        {
            byte[] needle = Encoding.ASCII.GetBytes(version + "\0");
            byte[] hay = File.ReadAllBytes(path);
            for (int i = 0; i + needle.Length <= hay.Length; i++)
            {
                int j = 0;
                while (j < needle.Length && hay[i + j] == needle[j]) j++;
                if (j == needle.Length) return true;
            }
            return false;
        }

        /// <summary>
        /// Weakens the requirement in a file. Writes a sibling temporary file and moves it over the
        /// original, so a hard link into a package cache is replaced, never written through. Keeps the
        /// original timestamp so incremental builds do not copy the file again.
        /// </summary>
        public static PatchOutcome PatchFile(string path)
        {
            byte[] bytes = File.ReadAllBytes(path);
            var outcome = Weaken(bytes, TorchSharpVersion, OnlyAllowedSymbol);
            if (outcome != PatchOutcome.Patched) return outcome;
            var stamp = File.GetLastWriteTimeUtc(path);
            string tmp = path + ".seminar-tmp";
            File.WriteAllBytes(tmp, bytes);
            File.SetLastWriteTimeUtc(tmp, stamp);
            File.Delete(path);
            File.Move(tmp, path);
            return outcome;
        }

        /// <summary>Sets VER_FLG_WEAK on every requirement of <paramref name="version"/>, in place, when only <paramref name="allowedSymbol"/> uses it.</summary>
        public static PatchOutcome Weaken(byte[] elf, string version, string allowedSymbol)
        {
            var layout = Layout.Read(elf);
            if (layout == null) return PatchOutcome.NotRequired;
            bool found = false, changed = false;
            foreach (var (flagsAt, index) in layout.Requirements(elf, version))
            {
                found = true;
                if (!layout.OnlySymbolUsing(elf, index, allowedSymbol)) return PatchOutcome.Refused;
                int flags = U16(elf, flagsAt);
                if ((flags & VerFlagWeak) != 0) continue;
                flags |= VerFlagWeak;
                elf[flagsAt] = (byte)flags;
                elf[flagsAt + 1] = (byte)(flags >> 8);
                changed = true;
            }
            return !found ? PatchOutcome.NotRequired : changed ? PatchOutcome.Patched : PatchOutcome.AlreadyWeak;
        }

        /// <summary>True when the file requires <paramref name="version"/> and every such requirement carries VER_FLG_WEAK.</summary>
        public static bool IsWeak(byte[] elf, string version)
        {
            var layout = Layout.Read(elf);
            if (layout == null) return false;
            bool any = false;
            foreach (var (flagsAt, _) in layout.Requirements(elf, version))
            {
                any = true;
                if ((U16(elf, flagsAt) & VerFlagWeak) == 0) return false;
            }
            return any;
        }

        /// <summary>Where the sections this patch reads sit in the file.</summary>
        sealed class Layout
        {
            long shoff; int shentsize; long verneed = -1, versym = -1, dynsym = -1;

            public static Layout? Read(byte[] elf)
            {
                if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F'
                    || elf[4] != 2 || elf[5] != 1)
                    return null;
                var l = new Layout { shoff = (long)U64(elf, 0x28), shentsize = U16(elf, 0x3A) };
                int shnum = U16(elf, 0x3C);
                for (int i = 0; i < shnum; i++)
                {
                    long sh = l.shoff + (long)i * l.shentsize;
                    uint type = U32(elf, sh + 4);
                    if (type == ShtGnuVerneed) l.verneed = sh;
                    else if (type == ShtGnuVersym) l.versym = sh;
                    else if (type == ShtDynsym) l.dynsym = sh;
                }
                return l.verneed < 0 ? null : l;
            }

            /// <summary>For each Vernaux entry naming the version: where its vna_flags sit, and its version index.</summary>
            public System.Collections.Generic.IEnumerable<(long FlagsAt, int Index)> Requirements(byte[] elf, string version)
            {
                long strtab = SectionOffset(elf, U32(elf, verneed + 40));
                long entry = (long)U64(elf, verneed + 24);
                uint needCount = U32(elf, verneed + 44);
                for (uint n = 0; n < needCount; n++)
                {
                    int auxCount = U16(elf, entry + 2);
                    long aux = entry + U32(elf, entry + 8);
                    for (int a = 0; a < auxCount; a++)
                    {
                        if (CString(elf, strtab + U32(elf, aux + 8)) == version)
                            yield return (aux + 4, U16(elf, aux + 6));
                        aux += U32(elf, aux + 12);
                    }
                    entry += U32(elf, entry + 12);
                }
            }

            public bool OnlySymbolUsing(byte[] elf, int index, string allowed)
            {
                if (versym < 0 || dynsym < 0) return true;
                long symOff = (long)U64(elf, dynsym + 24), symSize = (long)U64(elf, dynsym + 32), symEnt = (long)U64(elf, dynsym + 56);
                long symStr = SectionOffset(elf, U32(elf, dynsym + 40));
                long verOff = (long)U64(elf, versym + 24);
                for (long s = 0; s < symSize / symEnt; s++)
                {
                    if ((U16(elf, verOff + 2 * s) & 0x7fff) != index) continue;
                    if (CString(elf, symStr + U32(elf, symOff + s * symEnt)) != allowed) return false;
                }
                return true;
            }

            long SectionOffset(byte[] elf, uint section) => (long)U64(elf, shoff + section * shentsize + 24);
        }

        static string CString(byte[] b, long at)
        {
            long end = at;
            while (b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)at, (int)(end - at));
        }

        static int U16(byte[] b, long at) => b[at] | (b[at + 1] << 8);
        static uint U32(byte[] b, long at) => (uint)(b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24));
        static ulong U64(byte[] b, long at) => U32(b, at) | ((ulong)U32(b, at + 4) << 32);
    }
}
