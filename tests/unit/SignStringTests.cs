using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

public class SignStringTests
{
    private static ParameterList List(params string[] pairs)
    {
        var list = new ParameterList();
        foreach (string p in pairs)
        {
            int eq = p.IndexOf('=');
            Assert.True(list.TryAdd(p[..eq], p[(eq + 1)..]));
        }
        return list;
    }

    [Fact]
    public void Spec_8_1_2_example_gives_exactly_the_printed_string()
    {
        // The spec's own array, its 'file_nam' typo included.
        var list = List(
            "service=bptb_user_confirm",
            "_input_charset=gb2312",
            "partner=2088002464631181",
            "notify_url=http://www.test.com/alipay/notify_url.php",
            "return_url=http://www.test.com/alipay/return_url.php",
            "email=gongsil@shoufei.com",
            "file_nam=1069900000120880019120653302010020902.csv");
        Assert.Equal(
            "_input_charset=gb2312&email=gongsil@shoufei.com&file_nam=1069900000120880019120653302010020902.csv&notify_url=http://www.test.com/alipay/notify_url.php&partner=2088002464631181&return_url=http://www.test.com/alipay/return_url.php&service=bptb_user_confirm",
            SignString.Build(list));
    }

    [Fact]
    public void Sign_and_sign_type_and_empty_values_are_dropped()
    {
        var list = List("b=2", "sign=xyz", "sign_type=MD5", "a=1", "empty=");
        Assert.Equal("a=1&b=2", SignString.Build(list));
        Assert.Equal("a=1&b=2&sign_type=MD5", SignString.Build(list, includeSignType: true));
    }

    [Fact]
    public void Keys_sort_in_ordinal_byte_order_and_values_stay_raw()
    {
        var list = List("b=x&y", "B=1", "_a=@", "a_b=2", "ab=3");
        Assert.Equal("B=1&_a=@&a_b=2&ab=3&b=x&y", SignString.Build(list));
    }

    [Fact]
    public void No_parameters_give_an_empty_string()
    {
        Assert.Equal(string.Empty, SignString.Build(List("sign=1")));
    }
}
