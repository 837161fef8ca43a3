using BrokerConsole.Components.Controls;

namespace BrokerConsole.Components.Tests;

public sealed class ChartScaleTests
{
    [Theory]
    [InlineData(0.03, 0.05)]
    [InlineData(0.2, 0.2)]
    [InlineData(0.3, 0.5)]
    [InlineData(1, 1)]
    [InlineData(1.2, 2)]
    [InlineData(2.5, 2.5)]
    [InlineData(3, 5)]
    [InlineData(7, 10)]
    [InlineData(180, 200)]
    public void NiceStep_RoughStep_RoundsUpToOneTwoTwoAndAHalfOrFive(double rough, double nice) =>
        Assert.Equal(nice, ChartScale.NiceStep(rough), 10);

    [Fact]
    public void For_Max73_TicksOfTwentyUpToEighty()
    {
        var scale = ChartScale.For(73);

        Assert.Equal(new ChartScale(80, 20), scale);
        Assert.Equal([0, 20, 40, 60, 80], scale.Ticks);
    }

    [Fact]
    public void For_MaxOnANiceValue_TopIsThatValue() => Assert.Equal([0, 25, 50, 75, 100], ChartScale.For(100).Ticks);

    [Fact]
    public void For_SmallFractions_TicksWithoutBinaryNoise()
    {
        var scale = ChartScale.For(0.7);

        Assert.Equal([0, 0.2, 0.4, 0.6, 0.8], scale.Ticks);
        Assert.Equal(["0", "0.2", "0.4", "0.6", "0.8"], scale.Ticks.Select(ChartScale.Label));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(double.NaN)]
    public void For_NothingToShow_ZeroToOne(double max) => Assert.Equal(1, ChartScale.For(max).Top);

    [Fact]
    public void For_AnyMax_AtMostFourStepsAndTopHoldsIt()
    {
        foreach (var max in new[] { 0.013, 0.9, 3, 11, 99, 101, 4_321, 55_555, 2_000_001 })
        {
            var scale = ChartScale.For(max);
            Assert.True(scale.Top >= max, $"top {scale.Top} below {max}");
            Assert.InRange(scale.Ticks.Count, 2, 5);
        }
    }

    [Fact]
    public void Fraction_ClampsToTheScale()
    {
        var scale = ChartScale.For(80);

        Assert.Equal(0.5, scale.Fraction(40));
        Assert.Equal(1, scale.Fraction(500));
        Assert.Equal(0, scale.Fraction(-1));
    }

    [Theory]
    [InlineData(0, "0")]
    [InlineData(2.5, "2.5")]
    [InlineData(1_500, "1.5k")]
    [InlineData(20_000, "20k")]
    [InlineData(2_000_000, "2M")]
    public void Label_LargeValues_ShortenedWithKAndM(double value, string label) => Assert.Equal(label, ChartScale.Label(value));

    [Fact]
    public void TimeAxis_ThreeMinutes_MinuteTicksEndingNow()
    {
        var axis = TimeAxis.For(TimeSpan.FromSeconds(180));

        Assert.Equal(TimeSpan.FromMinutes(1), axis.Step);
        Assert.Equal(["-3 min", "-2 min", "-1 min", "now"], axis.Ticks.Select(TimeAxis.Label));
        Assert.Equal(0, axis.Fraction(TimeSpan.FromMinutes(3)));
        Assert.Equal(1, axis.Fraction(TimeSpan.Zero));
    }

    [Fact]
    public void TimeAxis_FortySeconds_TenSecondTicks() =>
        Assert.Equal(["-40 s", "-30 s", "-20 s", "-10 s", "now"], TimeAxis.For(TimeSpan.FromSeconds(40)).Ticks.Select(TimeAxis.Label));

    [Theory]
    [InlineData(180, "3 minutes")]
    [InlineData(60, "1 minute")]
    [InlineData(40, "40 seconds")]
    [InlineData(90, "90 seconds")]
    public void TimeAxis_Describe_SaysTheSpanInWords(int seconds, string words) =>
        Assert.Equal(words, TimeAxis.Describe(TimeSpan.FromSeconds(seconds)));
}
