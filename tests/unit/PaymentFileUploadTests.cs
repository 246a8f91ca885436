using System;
using System.Diagnostics;
using System.IO;
using System.Linq;
using System.Text;
using System.Text.Json;
using System.Threading;
using System.Threading.Tasks;
using AlipayBptb.Core.Gateway;
using AlipayBptb.Core.Notifications;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>The upload request: sign string, signature and digest against other tools, and the body against python's reader.</summary>
public sealed class PaymentFileUploadTests
{
    private const string Partner = "2088002464631181";
    private const string Md5Key = "k9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4";
    private static readonly BptbCharset Gbk = BptbCharset.Get("gbk");
    private static byte[] Sample => File.ReadAllBytes(Vectors.Path_("sample-payment-file-gbk.csv"));

    private static string Python(string script, params string[] args)
    {
        var psi = new ProcessStartInfo("python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, error);
        return output.Trim();
    }

    [Fact]
    public void The_sign_string_is_the_spec_sample_s_shape_without_bptb_pay_file()
    {
        using var signer = new Md5Signer(Md5Key);
        var builder = new PaymentFileUploadBuilder(Partner, signer, Gbk, notifyUrl: "http://www.test.com/alipay/notify_url.php", businessType: "t0", extendParam: "agent^123456");
        PaymentFileUploadRequest r = builder.Build("BPTB_20140101_0001.csv", Sample);
        // Spec 7.1.2, with this file's digest in place of the sample's.
        Assert.Equal("_input_charset=gbk&bussiness_type=T0&digest_bptb_pay_file=" + r.Digest + "&extend_param=agent^123456&file_digest_type=MD5"
            + "&notify_url=http://www.test.com/alipay/notify_url.php&partner=2088002464631181&service=bptb_pay_file_confirm", r.SignString);
        Assert.DoesNotContain("bptb_pay_file=", r.SignString.Replace("digest_bptb_pay_file=", string.Empty, StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(new[] { "_input_charset", "bussiness_type", "digest_bptb_pay_file", "extend_param", "file_digest_type", "notify_url", "partner", "service", "sign", "sign_type" },
            r.Parameters.Keys.Cast<string>().ToArray());
        Assert.Equal("MD5", r.SignType);
        Assert.EndsWith("/gateway.do?_input_charset=gbk", r.Url, StringComparison.Ordinal);
        Assert.StartsWith("multipart/form-data; boundary=", r.ContentType, StringComparison.Ordinal);
    }

    [Fact]
    public void The_MD5_signature_is_python_s()
    {
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk).Build("付款文件_一.csv", Sample);
        string expected = Python("import hashlib,sys; print(hashlib.md5((sys.argv[1]+sys.argv[2]).encode('gbk')).hexdigest())", r.SignString, Md5Key);
        Assert.Equal(expected, r.Sign);
    }

    [Fact]
    public void The_RSA_signature_verifies_with_openssl()
    {
        using Signer signer = KeyLoader.LoadPrivateKey(Vectors.Text("rsa2048.pk8.pem"), "test");
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, BptbCharset.Utf8).Build("a.csv", Sample);
        string dir = Path.Combine(Path.GetTempPath(), "bptb-up-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        try
        {
            File.WriteAllBytes(Path.Combine(dir, "m"), Encoding.UTF8.GetBytes(r.SignString));
            File.WriteAllBytes(Path.Combine(dir, "s"), Convert.FromBase64String(r.Sign));
            var (code, output) = Vectors.OpenSsl("dgst", "-sha1", "-verify", Vectors.Path_("rsa2048.pub.pem"), "-signature", Path.Combine(dir, "s"), Path.Combine(dir, "m"));
            Assert.True(code == 0, output);
            Assert.Equal("RSA", r.SignType);
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Theory]
    [InlineData(DigestType.MD5, "md5")]
    [InlineData(DigestType.SHA, "sha256")]
    public void The_digest_is_python_s_and_openssl_s(DigestType type, string algorithm)
    {
        string path = Vectors.Path_("sample-payment-file-gbk.csv");
        string python = Python("import hashlib,sys; print(hashlib.new(sys.argv[1], open(sys.argv[2],'rb').read()).hexdigest())", algorithm, path);
        var (code, output) = Vectors.OpenSsl("dgst", "-" + algorithm, "-r", path);
        Assert.Equal(0, code);
        Assert.Equal(python, output.Split(' ')[0]);
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk, digestType: type).Build("a.csv", Sample);
        Assert.Equal(python, r.Digest);
        Assert.Equal(type.ToString(), (string)r.Parameters["file_digest_type"]!);
    }

    [Theory]
    [InlineData("agent", "ExtendParam")]
    [InlineData("agent^1|x", "ExtendParam")]
    [InlineData("a^b^c", "ExtendParam")]
    public void A_bad_extend_param_is_refused_by_name(string extend, string parameter)
    {
        using var signer = new Md5Signer(Md5Key);
        var ex = Assert.Throws<FieldRuleException>(() => new PaymentFileUploadBuilder(Partner, signer, Gbk, extendParam: extend));
        Assert.Equal(parameter, ex.ParamName);
    }

    [Fact]
    public void Bad_values_are_refused_before_anything_is_signed()
    {
        using var signer = new Md5Signer(Md5Key);
        Assert.Throws<FieldRuleException>(() => new PaymentFileUploadBuilder("2088", signer, Gbk));
        Assert.Throws<FieldRuleException>(() => new PaymentFileUploadBuilder(Partner, signer, Gbk, businessType: "T2"));
        Assert.Throws<FieldRuleException>(() => new PaymentFileUploadBuilder(Partner, signer, Gbk, notifyUrl: "http://127.0.0.1/n"));
        Assert.Throws<FieldRuleException>(() => new PaymentFileUploadBuilder(Partner, signer, Gbk, extendParam: "a^" + new string('x', 200)));
        var b = new PaymentFileUploadBuilder(Partner, signer, Gbk);
        Assert.Equal("FileName", Assert.Throws<FieldRuleException>(() => b.Build("a.txt", Sample)).ParamName);
        Assert.Equal("FileName", Assert.Throws<FieldRuleException>(() => b.Build("😀.csv", Sample)).ParamName);
    }

    [Fact]
    public void The_body_ends_with_the_file_part_whose_name_is_in_the_charset()
    {
        using var signer = new Md5Signer(Md5Key);
        PaymentFileUploadRequest r = new PaymentFileUploadBuilder(Partner, signer, Gbk).Build("付款文件.csv", Sample);
        byte[] head = Gbk.GetBytes("name=\"bptb_pay_file\"; filename=\"付款文件.csv\"\r\nContent-Type: application/octet-stream\r\n\r\n");
        int at = IndexOf(r.Body, head);
        Assert.True(at > 0);
        Assert.Equal(Sample, r.Body.Skip(at + head.Length).Take(Sample.Length).ToArray());
        Assert.Equal(Sample.Length, r.FileLength);
    }

    internal static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (int i = 0; i + needle.Length <= haystack.Length; i++)
        {
            if (haystack.AsSpan(i, needle.Length).SequenceEqual(needle))
            {
                return i;
            }
        }
        return -1;
    }

    [Theory]
    [InlineData("gbk", DigestType.MD5, "BPTB_付款_一.csv")]
    [InlineData("utf-8", DigestType.SHA, "BPTB_付款_二.csv")]
    [InlineData("gb2312", DigestType.MD5, "plain\"quote.csv")]
    public async Task Python_s_own_multipart_reader_accepts_the_upload(string charsetName, DigestType digestType, string fileName)
    {
        var psi = new ProcessStartInfo("python3") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "upload_server.py"));
        psi.ArgumentList.Add(Partner);
        psi.ArgumentList.Add(Md5Key);
        psi.StandardOutputEncoding = Encoding.UTF8;
        psi.Environment["PYTHONIOENCODING"] = "utf-8";
        using var server = Process.Start(psi)!;
        try
        {
            string first = (await server.StandardOutput.ReadLineAsync())!;
            Assert.StartsWith("port ", first, StringComparison.Ordinal);
            string gateway = "http://127.0.0.1:" + first.Substring(5) + "/gateway.do";
            using var signer = new Md5Signer(Md5Key);
            BptbCharset charset = BptbCharset.Get(charsetName);
            var builder = new PaymentFileUploadBuilder(Partner, signer, charset, gateway, "http://127.0.0.1:9/notify", digestType, "T1", "agent^123456");
            PaymentFileUploadRequest r = builder.Build(fileName, Sample);
            PaymentFileUploadResult result = await new PaymentFileUploadClient(TimeSpan.FromSeconds(20)).SendAsync(r, CancellationToken.None);
            string line = (await server.StandardOutput.ReadLineAsync())!;
            Assert.True(result.State == UploadState.Accepted, result.Answer + "\n" + line);
            using JsonDocument seen = JsonDocument.Parse(line);
            Assert.Equal(fileName, seen.RootElement.GetProperty("file_name").GetString());
            Assert.Equal(Sample.Length, seen.RootElement.GetProperty("file_length").GetInt32());
            Assert.Equal(r.SignString, seen.RootElement.GetProperty("sign_string").GetString());
            Assert.Equal(r.Digest, seen.RootElement.GetProperty("digest").GetString());
            Assert.Equal(0, seen.RootElement.GetProperty("problems").GetArrayLength());
            Assert.Equal(r.Digest, result.Digest);
            Assert.Equal(200, result.HttpStatus);
        }
        finally
        {
            if (!server.HasExited)
            {
                server.Kill();
            }
            server.WaitForExit();
        }
    }

    [Fact]
    public void Alipay_s_answers_are_read_in_gbk_or_the_request_s_charset()
    {
        byte[] okGbk = Gbk.GetBytes("文件上传成功!");
        Assert.Equal(UploadState.Accepted, UploadAnswer.Parse(okGbk, okGbk.Length, null, BptbCharset.Utf8).State);
        byte[] okUtf8 = Encoding.UTF8.GetBytes("文件上传成功!\r\n");
        Assert.Equal(UploadState.Accepted, UploadAnswer.Parse(okUtf8, okUtf8.Length, null, Gbk).State);
        Assert.Equal(UploadState.Accepted, UploadAnswer.Parse(okUtf8, okUtf8.Length, "utf-8", Gbk).State);

        // Spec 5.2's sample: '!' where table 8.1 writes '！'.
        byte[] repeat = Gbk.GetBytes("文件上传失败!非常抱歉，您上传的文件名不能相同!");
        UploadAnswer a = UploadAnswer.Parse(repeat, repeat.Length, "GBK", BptbCharset.Utf8);
        Assert.Equal((UploadState.Refused, "FILE_NAME_REPEAT"), (a.State, a.Code));
        Assert.Equal("非常抱歉，您上传的文件名不能相同!", a.Message);
    }

    [Theory]
    [InlineData("文件上传失败!非常抱歉，您上传的文件类型错误，应该为xls、csv或zip格式！", UploadState.Refused, "FILE_TYPE_ERROR")]
    [InlineData("文件上传失败!摘要检查不正确,无法通过文件摘要检查", UploadState.Refused, "ILLEGAL_DIGEST")]
    [InlineData("文件上传失败!不支持的摘要类型或者摘要的类型为空", UploadState.Refused, "ILLEGAL_DIGEST_TYP")]
    [InlineData("文件上传失败!文件摘要算法输入错误，必须为 MD5 或者是 SHA", UploadState.Refused, "ILLEGAL_DIGEST_TYPE")]
    [InlineData("文件上传失败!表示进行数字验签失败", UploadState.Refused, "ILLEGAL_SIGN")]
    [InlineData("文件上传失败!接口已关闭", UploadState.Refused, "EXTERFACE_IS_CLOSED")]
    [InlineData("文件上传失败!something new", UploadState.Refused, null)]
    [InlineData("文件上传失败!支付宝系统错误", UploadState.Unknown, "SYSTEM_ERROR")]
    [InlineData("文件上传失败!未知异常", UploadState.Unknown, "UNKNOWN_EXCEPTION")]
    [InlineData("文件上传失败!GENERIC_FAILURE", UploadState.Unknown, "GENERIC_FAILURE")]
    [InlineData("SYSTEM_ERROR", UploadState.Unknown, "SYSTEM_ERROR")]
    [InlineData("<html>502 Bad Gateway</html>", UploadState.Unknown, null)]
    [InlineData("", UploadState.Unknown, null)]
    public void Every_answer_maps_to_a_state_and_a_code(string text, UploadState state, string? code)
    {
        byte[] body = Gbk.GetBytes(text);
        UploadAnswer a = UploadAnswer.Parse(body, body.Length, null, BptbCharset.Utf8);
        Assert.Equal((state, code), (a.State, a.Code));
    }

    [Fact]
    public void Unreadable_bytes_are_unknown()
    {
        byte[] body = { 0xFF, 0xFE, 0x81 };
        Assert.Equal(UploadState.Unknown, UploadAnswer.Parse(body, body.Length, null, Gbk).State);
    }

    [Fact]
    public void The_upload_codes_are_one_table_with_one_code_per_message()
    {
        var upload = ErrorCode.All.Where(e => e.UploadMessage != null).ToArray();
        Assert.Equal(upload.Length, upload.Select(e => ErrorCode.MessageKey(e.UploadMessage!)).Distinct().Count());
        Assert.Equal("both", ErrorCode.Find("ILLEGAL_SIGN")!.Interface);
        Assert.Equal("bptb_pay_file_confirm", ErrorCode.Find("FILE_NAME_REPEAT")!.Interface);
        Assert.Equal("bptb_user_confirm", ErrorCode.Find("USER_PASS_ERROR")!.Interface);
        Assert.Equal("both", ErrorCode.Find("GENERIC_FAILURE")!.Interface);
        Assert.Equal("签名不正确", ErrorCode.Find("ILLEGAL_SIGN")!.Meaning); // the confirm spec's words stay
        Assert.Contains("bptb_file_query", ErrorCode.Find("SYSTEM_ERROR")!.Action, StringComparison.Ordinal);
        foreach (string c in new[] { "UPLOAD_FILE_NULL", "FILE_NAME_C", "ILLEGAL_DIGEST_TYP", "BIZ_PRODUCT_ILLEGAL", "PAY_USER_INFO_ERROR" })
        {
            Assert.NotNull(ErrorCode.Find(c));
        }
    }
}
