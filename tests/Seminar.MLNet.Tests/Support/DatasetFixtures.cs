using Seminar.MLNet.Datasets.Canonical;

namespace Seminar.MLNet.Tests.Support;

/// <summary>Small hand-made canonical datasets whose samples can be checked by hand.</summary>
public static class DatasetFixtures
{
    /// <summary>Writes raw file contents as a canonical folder (manifest with no features unless given).</summary>
    public static void WriteRaw(string folder, string items, string events, string manifest = "{\"name\":\"raw\",\"features\":{}}")
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, CanonicalDataset.ItemsFile), items);
        File.WriteAllText(Path.Combine(folder, CanonicalDataset.EventsFile), events);
        File.WriteAllText(Path.Combine(folder, CanonicalDataset.ManifestFile), manifest);
    }

    public const string ItemsHeader = "item_id\ttitle\tattributes\n";
    public const string EventsHeader = "user_id\ttimestamp\titem_id\tquery\tlabel\n";

    /// <summary>
    /// Two users, real labels, times 10..100. User a: 10 x+, 20 y-, 20 z+ (same time), 30 x+, 90 y+, 100 z-.
    /// User b: 15 z+, 95 x+. 8 events; the 80% quantile (nearest rank, 7th of 8 sorted) is 95.
    /// </summary>
    public static void WriteTwoUsers(string folder) => WriteRaw(folder,
        ItemsHeader + "x\tred shoe\tcat_shoe brand_a\ny\tblue shoe\tcat_shoe brand_b\nz\tgreen hat\tcat_hat brand_a\n",
        EventsHeader +
        "a\t10\tx\t\t1\n" +
        "a\t20\ty\tshoe\t0\n" +
        "a\t20\tz\that\t1\n" +
        "b\t15\tz\t\t1\n" +
        "a\t30\tx\tred shoe\t1\n" +
        "a\t90\ty\t\t1\n" +
        "b\t95\tx\t\t1\n" +
        "a\t100\tz\t\t0\n");
}
