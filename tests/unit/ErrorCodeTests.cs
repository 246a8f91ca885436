using System;
using System.Linq;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;
using Xunit;

namespace AlipayBptb.Tests;

public class ErrorCodeTests
{
    // Rules 3-1 (错误码处理): on these codes the merchant stops every further operation, not just the batch.
    private static readonly string[] StopAllCodes = { "UNKNOWN_EXCEPTION", "GENERIC_FAILURE", "SYSTEM_ERROR" };

    [Theory]
    [InlineData("UNKNOWN_EXCEPTION")]
    [InlineData("GENERIC_FAILURE")]
    [InlineData("SYSTEM_ERROR")]
    public void The_special_codes_of_the_rules_say_stop_everything_and_check_the_balance(string code)
    {
        ErrorCode? e = ErrorCode.Find(code);
        Assert.NotNull(e);
        Assert.True(e!.StopAll);
        Assert.Contains("Stop ALL further operations", e.Action, StringComparison.Ordinal);
        Assert.Contains("customer.balance.query", e.Action, StringComparison.Ordinal);
        Assert.Contains("technical support", e.Action, StringComparison.Ordinal);
        Assert.DoesNotContain("this batch", e.Action, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_the_three_special_codes_stop_everything()
    {
        Assert.Equal(StopAllCodes.OrderBy(c => c, StringComparer.Ordinal), ErrorCode.All.Where(e => e.StopAll).Select(e => e.Code).OrderBy(c => c, StringComparer.Ordinal));
        Assert.All(ErrorCode.All.Where(e => !e.StopAll), e => Assert.DoesNotContain("Stop ALL", e.Action, StringComparison.Ordinal));
    }

    [Fact]
    public void The_result_code_of_the_spec_sample_is_known_and_both_success_codes_are_described_honestly()
    {
        ErrorCode? sample = ErrorCode.Find("USER_CONFIRM_SUCCESS");
        Assert.NotNull(sample);
        Assert.Equal("5.2", sample!.Section);
        Assert.False(sample.StopAll);
        Assert.Contains("confirmed successfully", sample.Description, StringComparison.Ordinal);
        Assert.Contains("USER_CONFIRM_SUCC", sample.Description, StringComparison.Ordinal);

        ErrorCode succ = ErrorCode.Find("USER_CONFIRM_SUCC")!;
        Assert.Equal("10.1", succ.Section);
        Assert.Contains("already confirmed", succ.Description, StringComparison.Ordinal);
        Assert.Contains("5.3", succ.Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_code_is_listed_once_with_a_meaning_a_description_and_an_action()
    {
        Assert.Equal(ErrorCode.All.Count, ErrorCode.All.Select(e => e.Code).Distinct(StringComparer.Ordinal).Count());
        Assert.All(ErrorCode.All, e =>
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Meaning));
            Assert.False(string.IsNullOrWhiteSpace(e.Description));
            Assert.False(string.IsNullOrWhiteSpace(e.Action));
        });
    }
}
