using LeoFlow.Agent.Tracing;

namespace LeoFlow.Agent.Tests.Tracing;

/// <summary>The traceparent and tracestate rules of the W3C Trace Context specification.</summary>
public sealed class TraceContextTests
{
    private const string TraceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    private const string ParentId = "00f067aa0ba902b7";
    private const string Valid = "00-" + TraceId + "-" + ParentId + "-01";

    [Fact]
    public void AVersion00TraceparentIsParsed()
    {
        Assert.Null(TraceContext.Parse(Valid, out var context));

        Assert.Equal(0x4bf92f3577b34da6UL, context.TraceIdHigh);
        Assert.Equal(0xa3ce929d0e0e4736UL, context.TraceIdLow);
        Assert.Equal(0x00f067aa0ba902b7UL, context.SpanId);
        Assert.True(context.Sampled);
    }

    [Theory]
    [InlineData("00", false)]
    [InlineData("01", true)]
    [InlineData("09", true)]    // other flags than sampled are not the agent's to pass on
    [InlineData("fe", false)]
    public void TheSampledFlagIsTheLowestBit(string flags, bool sampled)
    {
        Assert.Null(TraceContext.Parse($"00-{TraceId}-{ParentId}-{flags}", out var context));
        Assert.Equal(sampled, context.Sampled);
    }

    [Theory]
    [InlineData("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", "not lowercase hex")]   // uppercase trace id
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01", "not lowercase hex")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A", "not lowercase hex")]
    [InlineData("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "not lowercase hex")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01", "not lowercase hex")]
    [InlineData("00-00000000000000000000000000000000-00f067aa0ba902b7-01", "the trace id is all zeros")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", "the parent id is all zeros")]
    [InlineData("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "version ff is invalid")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-", "version 00 is exactly 55 characters")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what", "version 00 is exactly 55 characters")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1", "want version-traceid-parentid-flags")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01", "want version-traceid-parentid-flags")]
    [InlineData("00_4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7_01", "want version-traceid-parentid-flags")]
    [InlineData("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", "version 00 is exactly 55 characters")]
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x", "a later version's fields follow a '-'")]
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7", "want version-traceid-parentid-flags")]
    [InlineData("", "want version-traceid-parentid-flags")]
    public void AnInvalidTraceparentIsRefusedWithItsReason(string value, string reason)
    {
        var problem = TraceContext.Parse(value, out var context);

        Assert.NotNull(problem);
        Assert.StartsWith(reason, problem);
        Assert.Equal(0UL, context.SpanId);
    }

    [Theory]
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")]
    [InlineData("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-the-future-will-be-like")]
    [InlineData("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-")]
    public void ALaterVersionIsReadByItsFirst55Characters(string value)
    {
        Assert.Null(TraceContext.Parse(value, out var context));
        Assert.Equal(0x00f067aa0ba902b7UL, context.SpanId);
        Assert.True(context.Sampled);
    }

    [Fact]
    public void SpacesAndTabsAroundTheValueAreIgnored() =>
        Assert.Null(TraceContext.Parse(" \t" + Valid + " ", out _));

    [Theory]
    [InlineData("rojo=00f067aa0ba902b7")]
    [InlineData("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")]
    [InlineData("rojo=00f067aa0ba902b7 , congo=t61rcWkgMzE\t")]    // spaces and tabs around members
    [InlineData("rojo=1,,congo=2")]                                 // an empty member is allowed
    [InlineData("fw529a3039@dt=foo,0@a=x")]                        // tenant@system keys
    [InlineData("a_-*/b=value with spaces inside")]
    public void AWellFormedTracestateIsKept(string value) => Assert.Null(TraceContext.CheckTraceState(value));

    [Theory]
    [InlineData("Rojo=1", "list member 1 has an invalid key")]            // uppercase
    [InlineData("1rojo=1", "list member 1 has an invalid key")]           // a simple key starts with a letter
    [InlineData("rojo", "list member 1 is not key=value")]
    [InlineData("rojo=1,congo", "list member 2 is not key=value")]
    [InlineData("rojo=", "list member 1 has an invalid value")]
    [InlineData("rojo=a=b", "list member 1 has an invalid value")]
    [InlineData("rojo=é", "list member 1 has an invalid value")]
    [InlineData("tenant@Sys=1", "list member 1 has an invalid key")]
    [InlineData("tenant@abcdefghijklmno=1", "list member 1 has an invalid key")]   // system id of 15
    [InlineData("rojo=1,rojo=2", "key \"rojo\" appears twice")]
    public void AMalformedTracestateIsDropped(string value, string reason) => Assert.Equal(reason, TraceContext.CheckTraceState(value));

    [Fact]
    public void ATracestateHoldsAtMost32MembersAnd512Characters()
    {
        string members(int n) => string.Join(',', Enumerable.Range(1, n).Select(i => $"k{i}=v"));
        Assert.Null(TraceContext.CheckTraceState(members(32)));
        Assert.Equal("more than 32 list members", TraceContext.CheckTraceState(members(33)));
        Assert.Null(TraceContext.CheckTraceState("k=" + new string('v', 256) + ",l=" + new string('v', 251)));   // 512
        Assert.Equal("longer than 512 characters", TraceContext.CheckTraceState("k=" + new string('v', 256) + ",l=" + new string('v', 252)));
    }

    [Fact]
    public void FromTheEnvironmentAnInvalidParentIsSaidOnceAndANewTraceStarts()
    {
        var warnings = new List<string>();
        var env = new Dictionary<string, string> { ["TRACEPARENT"] = Valid.ToUpperInvariant(), ["TRACESTATE"] = "rojo=1" };

        Assert.Null(TraceContext.FromEnvironment(env, warnings));

        var warning = Assert.Single(warnings);
        Assert.Contains("TRACEPARENT \"00-4BF92F", warning);
        Assert.EndsWith("not lowercase hex); the agent starts a new trace and ignores TRACESTATE", warning);
    }

    [Fact]
    public void FromTheEnvironmentABadTracestateIsDroppedAndTheParentKept()
    {
        var warnings = new List<string>();
        var env = new Dictionary<string, string> { ["TRACEPARENT"] = Valid, ["TRACESTATE"] = "Bad=1" };

        var context = TraceContext.FromEnvironment(env, warnings);

        Assert.NotNull(context);
        Assert.Null(context.Value.TraceState);
        Assert.Equal(0x00f067aa0ba902b7UL, context.Value.SpanId);
        Assert.Equal("TRACESTATE is not a W3C tracestate (list member 1 has an invalid key) and is dropped; the trace goes on from TRACEPARENT", Assert.Single(warnings));
    }

    [Fact]
    public void FromTheEnvironmentAGoodPairIsKeptAndNothingSaid()
    {
        var warnings = new List<string>();
        var context = TraceContext.FromEnvironment(new Dictionary<string, string> { ["TRACEPARENT"] = Valid, ["TRACESTATE"] = " rojo=1,congo=2 " }, warnings);

        Assert.Equal("rojo=1,congo=2", context!.Value.TraceState);
        Assert.Empty(warnings);
    }

    [Fact]
    public void NoParentIsNoWarningButATracestateAloneIsOne()
    {
        var warnings = new List<string>();
        Assert.Null(TraceContext.FromEnvironment(new Dictionary<string, string>(), warnings));
        Assert.Empty(warnings);

        Assert.Null(TraceContext.FromEnvironment(new Dictionary<string, string> { ["TRACESTATE"] = "rojo=1" }, warnings));
        Assert.Equal("TRACESTATE is set without TRACEPARENT and is ignored; the agent starts a new trace", Assert.Single(warnings));
    }

    [Fact]
    public void ATraceNamesItsSpansInVersion00AndPassesTheFlagOn()
    {
        Assert.Null(TraceContext.Parse($"00-{TraceId}-{ParentId}-00", out var unsampled));
        var trace = TaskTrace.Begin(unsampled, export: true, new LeoFlow.Agent.Diagnostics.OutgoingText(new LeoFlow.Agent.Masking.SecretRegistry()));
        var span = trace.StartClient("agent.register");

        Assert.False(trace.Recording);   // an unsampled parent: nothing recorded, ids still there
        Assert.Equal($"00-{TraceId}-{span.SpanIdHex}-00", span.TraceParent);
        Assert.Equal(ParentId, TraceSpan.Hex(trace.Root.ParentSpanId));
        Assert.NotEqual(0UL, span.SpanId);
        Assert.NotEqual(trace.Root.SpanId, span.SpanId);
        Assert.Equal(trace.Root.SpanId, span.ParentSpanId);
    }

    [Fact]
    public void ANewTraceHasRandomNonZeroIdsAndIsSampled()
    {
        var first = TaskTrace.Unexported();
        var second = TaskTrace.Unexported();

        Assert.Matches("^[0-9a-f]{32}$", first.TraceId);
        Assert.NotEqual(new string('0', 32), first.TraceId);
        Assert.NotEqual(first.TraceId, second.TraceId);
        Assert.Equal(0UL, first.Root.ParentSpanId);
        Assert.Matches($"^00-{first.TraceId}-[0-9a-f]{{16}}-01$", first.Root.TraceParent);
    }
}
