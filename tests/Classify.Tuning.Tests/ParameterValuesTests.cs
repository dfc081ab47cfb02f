using Classify.Tuning.Space;

namespace Classify.Tuning.Tests;

public class ParameterValuesTests
{
    [Fact]
    public void Values_round_trip_through_json_with_their_types()
    {
        var p = new Dictionary<string, object?> { ["a"] = 3L, ["b"] = 0.5, ["c"] = "l2", ["d"] = true, ["e"] = null, ["f"] = new List<object?> { 1L, 2L } };
        var back = ParameterValues.ParametersFromJson(ParameterValues.ToJson(p));
        Assert.Equal(3L, back["a"]);
        Assert.Equal(0.5, back["b"]);
        Assert.Equal("l2", back["c"]);
        Assert.Equal(true, back["d"]);
        Assert.Null(back["e"]);
        Assert.True(ParameterValues.AreEqual(p["f"], back["f"]));
        Assert.IsType<double>(ParameterValues.ParametersFromJson("{\"x\": 1.0}")["x"]);
    }

    [Fact]
    public void Choice_finds_values_by_json_equality()
    {
        var d = new ChoiceDistribution("linear.ngram_range", [new List<object?> { 1L, 1L }, new List<object?> { 1L, 2L }]);
        Assert.Equal(1, d.IndexOf(new List<object?> { 1L, 2L }));
        Assert.Equal(-1, d.IndexOf(new List<object?> { 2L, 2L }));
    }
}
