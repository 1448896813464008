using Tract7dt.Science.Catalog;
using Tract7dt.Science.Merge;
using Xunit;

namespace Tract7dt.Tests.Stages;

/// <summary>The left join on hand-made tables: keys, duplicates, column rules.</summary>
public sealed class MergeJoinTests
{
    private static SourceTable Csv(string text) => SourceTableCsv.Read(new StringReader(text), "test");

    [Fact]
    public void Left_join_keeps_base_order_and_text_and_adds_only_new_columns()
    {
        var b = Csv("ID,RA,DEC,FLUX_g\n007,10.50,-5.0,1e3\n008,10.6,-5.1,\n009,10.7,-5.2,2\n");
        var f1 = Csv("ID,RA,DEC,FLUX_g,x_fit_white,FLUX_g_fit\n009,10.7,-5.2,2,1.5,30.0\n");
        var f2 = Csv("ID,RA,DEC,FLUX_g,FLUX_g_fit,opt_niters\n007,10.50,-5.0,999,10.0,20\n");
        var key = MergeKey.For(b, "base");
        var j = CatalogMerger.Join(b, key, [new("p1", "a", f1), new("p2", "b", f2)]);
        var t = j.Table;
        Assert.Equal(["ID", "RA", "DEC", "FLUX_g", "x_fit_white", "FLUX_g_fit", "opt_niters"], t.ColumnNames);
        Assert.Equal(["007", "008", "009"], Enumerable.Range(0, 3).Select(i => t.Text("ID", i)));
        Assert.Equal("1e3", t.Text("FLUX_g", 0));          // base value kept, not the fit table's 999
        Assert.Equal("10.50", t.Text("RA", 0));
        Assert.Equal(["10.0", "", "30.0"], Enumerable.Range(0, 3).Select(i => t.Text("FLUX_g_fit", i)));
        Assert.Equal(["20", "", ""], Enumerable.Range(0, 3).Select(i => t.Text("opt_niters", i)));
        Assert.Equal(new[] { "p2", null, "p1" }.AsEnumerable(), j.MatchedPatch.AsEnumerable());
        Assert.Equal(0, j.DuplicatesDropped);
    }

    [Fact]
    public void Ids_are_text_so_leading_zeros_matter()
    {
        var b = Csv("ID,RA,DEC\n19,1,1\n00019,2,2\n");
        var f = Csv("ID,RA,DEC,v\n00019,2,2,a\n");
        var j = CatalogMerger.Join(b, MergeKey.For(b, "b"), [new("p", "f", f)]);
        Assert.Equal("", j.Table.Text("v", 0));
        Assert.Equal("a", j.Table.Text("v", 1));
    }

    [Fact]
    public void Duplicate_result_keys_keep_the_first_and_are_counted()
    {
        var b = Csv("ID,RA,DEC\nA,1,1\nB,2,2\n");
        var f1 = Csv("ID,RA,DEC,v\nA,1,1,first\n");
        var f2 = Csv("ID,RA,DEC,v\nA,1,1,second\nB,2,2,b\n");
        var j = CatalogMerger.Join(b, MergeKey.For(b, "b"), [new("p1", "f1", f1), new("p2", "f2", f2)]);
        Assert.Equal("first", j.Table.Text("v", 0));
        Assert.Equal("b", j.Table.Text("v", 1));
        Assert.Equal(1, j.DuplicatesDropped);
        Assert.Equal(["A"], j.DuplicateSamples);
    }

    [Fact]
    public void Base_rows_sharing_an_id_get_their_own_fit_by_position()
    {
        // Two different sources with the same (or an empty) ID: matched on position too.
        var b = Csv("ID,RA,DEC\nX,1.0,1.0\nX,2.0,2.0\n,3,3\n,4,4\n");
        var f = Csv("ID,RA,DEC,v\nX,2.0,2.0,second\nX,1.0,1.0,first\n,4,4,four\n,3,3,three\n");
        var j = CatalogMerger.Join(b, MergeKey.For(b, "b"), [new("p", "f", f)]);
        Assert.Equal(["first", "second", "three", "four"], Enumerable.Range(0, 4).Select(i => j.Table.Text("v", i)));
        Assert.Equal(2, j.SharedBaseKeys);
        Assert.Equal(0, j.DuplicatesDropped);
    }

    [Fact]
    public void Without_ID_the_key_is_RA_DEC_by_exact_numeric_value()
    {
        var b = Csv("RA,DEC,name\n10.5,-5,a\n10.6,-5.1,b\n");
        var f = Csv("RA,DEC,v\n10.50,-5.0,hit\n10.6000001,-5.1,miss\n");
        var key = MergeKey.For(b, "b");
        Assert.Equal(["RA", "DEC"], key.Columns);
        var j = CatalogMerger.Join(b, key, [new("p", "f", f)]);
        Assert.Equal("hit", j.Table.Text("v", 0));
        Assert.Equal("", j.Table.Text("v", 1));
    }

    [Fact]
    public void Exclusion_reason_from_flags_with_empty_cells_false()
    {
        var t = Csv("ID,excluded_crop,excluded_saturation,excluded_any\na,True,False,True\nb,False,True,False\nc,True,True,True\nd,,,\n");
        Assert.True(ExclusionColumns.Apply(t));
        Assert.Equal(["crop", "saturation", "crop+saturation", ""], Enumerable.Range(0, 4).Select(i => t.Text("excluded_reason", i)));
        Assert.Equal(["True", "True", "True", "False"], Enumerable.Range(0, 4).Select(i => t.Text("excluded_any", i)));
        Assert.Equal("False", t.Text("excluded_crop", 3));
        Assert.False(ExclusionColumns.Apply(Csv("ID\na\n")));
    }
}
