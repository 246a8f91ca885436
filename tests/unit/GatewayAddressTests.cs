using System;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>Rules 3-1 (接口构造): requests go to Alipay's gateway only; a loopback gateway may stand in for tests.</summary>
public class GatewayAddressTests
{
    [Theory]
    [InlineData("https://mapi.alipay.com/gateway.do")]
    [InlineData("https://MAPI.Alipay.COM/gateway.do")]
    [InlineData("HTTPS://mapi.alipay.com/gateway.do")]
    [InlineData("https://mapi.alipay.com:443/gateway.do")]
    public void Alipays_gateway_is_accepted_in_its_one_canonical_form(string gateway)
    {
        Uri uri = GatewayAddress.Parse(gateway);
        Assert.Equal(GatewayAddress.Default, uri.AbsoluteUri);
        Assert.False(HostRules.IsLoopbackAddress(uri));
    }

    [Theory]
    [InlineData("http://127.0.0.1:9000/gateway.do")]
    [InlineData("https://127.0.0.1:9443/gateway.do")]
    [InlineData("http://127.5.6.7/gateway.do")]
    [InlineData("http://[::1]:9000/gateway.do")]
    [InlineData("http://localhost:9000/gateway.do")]
    [InlineData("http://LOCALHOST:9000/wrong.do")]
    public void A_loopback_test_gateway_is_accepted(string gateway)
    {
        Uri uri = GatewayAddress.Parse(gateway);
        Assert.True(HostRules.IsLoopbackAddress(uri));
    }

    [Theory]
    [InlineData("https://mapi.alipay.com.evil.example/gateway.do", "not Alipay's gateway")]
    [InlineData("https://evil.example/gateway.do", "not Alipay's gateway")]
    [InlineData("https://mapi.alipay.com@evil.example/gateway.do", "user name or password")]
    [InlineData("https://user:secret@mapi.alipay.com/gateway.do", "user name or password")]
    [InlineData("http://user@127.0.0.1:9000/gateway.do", "user name or password")]
    [InlineData("https://mapi.alipay.com./gateway.do", "not Alipay's gateway")]
    [InlineData("https://mapi.alipay.com:8443/gateway.do", "port")]
    [InlineData("https://mapi.alipay.com/gateway.do/", "path")]
    [InlineData("https://mapi.alipay.com/Gateway.do", "path")]
    [InlineData("https://mapi.alipay.com/", "path")]
    [InlineData("https://mapi.alipay.com/other.do", "path")]
    [InlineData("https://mapi.alipаy.com/gateway.do", "non-ASCII")] // Cyrillic а
    [InlineData("https://ｍａｐｉ.alipay.com/gateway.do", "non-ASCII")] // full-width letters, which IDN maps onto ASCII
    [InlineData("https://xn--mapi-alipay-xyz.com/gateway.do", "not Alipay's gateway")]
    [InlineData("http://mapi.alipay.com/gateway.do", "https")]
    [InlineData("ftp://mapi.alipay.com/gateway.do", "https")]
    [InlineData("https://mapi.alipay.com/gateway.do?x=1", "query")]
    [InlineData("https://mapi.alipay.com/gateway.do?", "query")]
    [InlineData("https://mapi.alipay.com/gateway.do#", "query")]
    [InlineData("https://mapi.alipay.com/gateway.do\n", "line break or other control")]
    [InlineData(" https://mapi.alipay.com/gateway.do", "space")]
    [InlineData("gateway.do", "not an absolute")]
    [InlineData("http://10.0.0.1/gateway.do", "not Alipay's gateway")]
    [InlineData("http://localhost./gateway.do", "not Alipay's gateway")]
    [InlineData("http://127.0.0.1.evil.example/gateway.do", "not Alipay's gateway")]
    [InlineData("http://foo.localhost/gateway.do", "not Alipay's gateway")]
    [InlineData("http://[::ffff:127.0.0.1]/gateway.do", "not Alipay's gateway")]
    [InlineData("http://0.0.0.0:9000/gateway.do", "not Alipay's gateway")]
    public void Anything_else_is_refused_naming_the_parameter_and_the_rule(string gateway, string problem)
    {
        var ex = Assert.Throws<ArgumentException>(() => GatewayAddress.Parse(gateway));
        Assert.Equal("Gateway", ex.ParamName);
        Assert.Contains(problem, ex.Message, StringComparison.Ordinal);
        Assert.Contains("Rules 3-1", ex.Message, StringComparison.Ordinal);
        Assert.Contains(GatewayAddress.Default, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Request_building_and_notify_verify_both_refuse_another_https_host()
    {
        const string evil = "https://mapi.alipay.com.evil.example/gateway.do";
        using var signer = new Md5Signer("k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4");
        Assert.Throws<ArgumentException>(() => new ConfirmRequestBuilder("2088002464631181", "a@b.com", "http://www.test.com/r", null, BptbCharset.Utf8, signer, evil));
        Assert.Throws<ArgumentException>(() => new NotifyVerifyClient(evil, TimeSpan.FromSeconds(1), 0, TimeSpan.Zero));
    }
}
