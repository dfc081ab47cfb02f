using System.Buffers.Binary;
using System.Text;

namespace Classify.Transformers.Native;

/// <summary>
/// A minimal reader (and one-field patcher) for 64-bit little-endian ELF shared objects: just enough to see which
/// symbol versions a library needs (<c>.gnu.version_r</c>), which ones a library defines (<c>.gnu.version_d</c>),
/// which libraries it needs (<c>DT_NEEDED</c>) and which versioned symbols its relocations actually bind.
/// </summary>
/// <remarks>
/// Field offsets follow the System V gABI and the GNU symbol-versioning extension (<c>elf.h</c>: Elf64_Ehdr,
/// Elf64_Shdr, Elf64_Verneed, Elf64_Vernaux, Elf64_Verdef, Elf64_Verdaux, Elf64_Sym, Elf64_Rela, Elf64_Dyn).
/// </remarks>
internal sealed class ElfImage
{
    private const uint ShtRela = 4, ShtDynamic = 6, ShtDynsym = 11;
    private const uint ShtGnuVerdef = 0x6ffffffd, ShtGnuVerneed = 0x6ffffffe, ShtGnuVersym = 0x6fffffff;
    private const long DtNeeded = 1;

    /// <summary><c>VER_FLG_WEAK</c>: the dynamic loader reports a missing weak version need instead of failing.</summary>
    public const ushort VersionFlagWeak = 0x2;

    private readonly byte[] _bytes;
    private readonly List<Section> _sections = [];

    private readonly record struct Section(uint Type, long Offset, long Size, uint Link, long EntrySize);

    /// <summary>One <c>Elf64_Vernaux</c> entry: a symbol version required from a needed library.</summary>
    /// <param name="File">The needed library, e.g. <c>libstdc++.so.6</c>.</param>
    /// <param name="Name">The version, e.g. <c>GLIBCXX_3.4.32</c>.</param>
    /// <param name="Index">The version index that <c>.gnu.version</c> entries use to point at this need.</param>
    /// <param name="Flags">The <c>vna_flags</c> field (<see cref="VersionFlagWeak"/> when weak).</param>
    /// <param name="FlagsOffset">File offset of <c>vna_flags</c>, the only field <see cref="WeakenVersionNeeds"/> writes.</param>
    public readonly record struct VersionNeed(string File, string Name, int Index, ushort Flags, long FlagsOffset)
    {
        /// <summary>True when the need is marked <c>VER_FLG_WEAK</c>.</summary>
        public bool IsWeak => (Flags & VersionFlagWeak) != 0;
    }

    /// <summary>An undefined dynamic symbol bound to a version need, and whether any relocation refers to it.</summary>
    /// <param name="Name">Mangled symbol name.</param>
    /// <param name="VersionIndex">Index into the version needs.</param>
    /// <param name="IsRelocated">True when a <c>.rela.dyn</c>/<c>.rela.plt</c> entry binds the symbol, i.e. the loader must resolve it.</param>
    public readonly record struct VersionedImport(string Name, int VersionIndex, bool IsRelocated);

    private ElfImage(byte[] bytes, string path)
    {
        _bytes = bytes;
        Path = path;
        if (bytes.Length < 64 || bytes[0] != 0x7f || bytes[1] != (byte)'E' || bytes[2] != (byte)'L' || bytes[3] != (byte)'F')
            throw new InvalidDataException($"{path}: not an ELF file.");
        if (bytes[4] != 2 || bytes[5] != 1)
            throw new InvalidDataException($"{path}: only 64-bit little-endian ELF is supported.");
        long shoff = (long)U64(40);
        int shentsize = U16(58), shnum = U16(60);
        if (shoff <= 0 || shentsize < 64 || shoff + (long)shentsize * shnum > bytes.Length)
            throw new InvalidDataException($"{path}: section header table is missing or truncated.");
        for (int i = 0; i < shnum; i++)
        {
            long at = shoff + (long)i * shentsize;
            _sections.Add(new Section(U32(at + 4), (long)U64(at + 24), (long)U64(at + 32), U32(at + 40), (long)U64(at + 56)));
        }
    }

    /// <summary>Where the image was read from.</summary>
    public string Path { get; }

    /// <summary>The image bytes (patched in place by <see cref="WeakenVersionNeeds"/>).</summary>
    public ReadOnlySpan<byte> Bytes => _bytes;

    /// <summary>Reads a whole ELF file into memory.</summary>
    public static ElfImage Read(string path) => new(File.ReadAllBytes(path), path);

    /// <summary>The <c>DT_NEEDED</c> entries, in order.</summary>
    public IReadOnlyList<string> NeededLibraries()
    {
        var result = new List<string>();
        foreach (var dyn in _sections.Where(s => s.Type == ShtDynamic))
        {
            var strtab = _sections[(int)dyn.Link];
            for (long at = dyn.Offset; at + 16 <= dyn.Offset + dyn.Size; at += 16)
            {
                long tag = (long)U64(at);
                if (tag == 0) break;
                if (tag == DtNeeded) result.Add(CString(strtab.Offset + (long)U64(at + 8)));
            }
        }
        return result;
    }

    /// <summary>Every version need (<c>.gnu.version_r</c>), in file order.</summary>
    public IReadOnlyList<VersionNeed> VersionNeeds()
    {
        var result = new List<VersionNeed>();
        foreach (var sec in _sections.Where(s => s.Type == ShtGnuVerneed))
        {
            var strtab = _sections[(int)sec.Link];
            long entry = sec.Offset;
            while (true)
            {
                int count = U16(entry + 2);
                string file = CString(strtab.Offset + U32(entry + 4));
                long aux = entry + U32(entry + 8);
                for (int i = 0; i < count; i++)
                {
                    result.Add(new VersionNeed(file, CString(strtab.Offset + U32(aux + 8)), U16(aux + 6), (ushort)U16(aux + 4), aux + 4));
                    uint nextAux = U32(aux + 12);
                    if (nextAux == 0) break;
                    aux += nextAux;
                }
                uint next = U32(entry + 12);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>Every version the library defines (<c>.gnu.version_d</c>), e.g. <c>GLIBCXX_3.4.30</c> for libstdc++.</summary>
    public IReadOnlySet<string> VersionDefinitions()
    {
        var result = new HashSet<string>(StringComparer.Ordinal);
        foreach (var sec in _sections.Where(s => s.Type == ShtGnuVerdef))
        {
            var strtab = _sections[(int)sec.Link];
            long entry = sec.Offset;
            while (true)
            {
                long aux = entry + U32(entry + 12);
                result.Add(CString(strtab.Offset + U32(aux)));   // the first Verdaux names the version itself
                uint next = U32(entry + 16);
                if (next == 0) break;
                entry += next;
            }
        }
        return result;
    }

    /// <summary>The undefined dynamic symbols bound to the given version indices, each with whether a relocation uses it.</summary>
    public IReadOnlyList<VersionedImport> ImportsOfVersions(IReadOnlySet<int> versionIndices)
    {
        var dynsym = _sections.FirstOrDefault(s => s.Type == ShtDynsym);
        var versym = _sections.FirstOrDefault(s => s.Type == ShtGnuVersym);
        if (dynsym.Size == 0 || versym.Size == 0) return [];
        var strtab = _sections[(int)dynsym.Link];
        long count = dynsym.Size / 24;

        var relocated = new HashSet<long>();
        foreach (var rela in _sections.Where(s => s.Type == ShtRela && s.Link < _sections.Count && _sections[(int)s.Link].Type == ShtDynsym))
            for (long at = rela.Offset; at + 24 <= rela.Offset + rela.Size; at += 24)
                relocated.Add((long)(U64(at + 8) >> 32));

        var result = new List<VersionedImport>();
        for (long i = 1; i < count; i++)
        {
            int version = U16(versym.Offset + 2 * i) & 0x7fff;
            if (!versionIndices.Contains(version)) continue;
            long sym = dynsym.Offset + 24 * i;
            if (U16(sym + 6) != 0) continue;   // defined here (st_shndx != SHN_UNDEF): not an import
            result.Add(new VersionedImport(CString(strtab.Offset + U32(sym)), version, relocated.Contains(i)));
        }
        return result;
    }

    /// <summary>
    /// Marks the given version needs <c>VER_FLG_WEAK</c>, in the in-memory image. glibc's loader then accepts the
    /// library when the version is absent (it only fails for non-weak needs); the symbols stay as they are.
    /// </summary>
    public void WeakenVersionNeeds(IEnumerable<VersionNeed> needs)
    {
        foreach (var need in needs)
        {
            ushort flags = (ushort)U16(need.FlagsOffset);
            BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan((int)need.FlagsOffset, 2), (ushort)(flags | VersionFlagWeak));
        }
    }

    private int U16(long at) => BinaryPrimitives.ReadUInt16LittleEndian(Slice(at, 2));
    private uint U32(long at) => BinaryPrimitives.ReadUInt32LittleEndian(Slice(at, 4));
    private ulong U64(long at) => BinaryPrimitives.ReadUInt64LittleEndian(Slice(at, 8));

    private ReadOnlySpan<byte> Slice(long at, int length)
    {
        if (at < 0 || at + length > _bytes.Length)
            throw new InvalidDataException($"{Path}: ELF structure points outside the file (offset {at}).");
        return _bytes.AsSpan((int)at, length);
    }

    private string CString(long at)
    {
        if (at < 0 || at >= _bytes.Length) throw new InvalidDataException($"{Path}: string offset {at} outside the file.");
        int end = Array.IndexOf(_bytes, (byte)0, (int)at);
        if (end < 0) throw new InvalidDataException($"{Path}: unterminated string at offset {at}.");
        return Encoding.UTF8.GetString(_bytes, (int)at, end - (int)at);
    }
}
