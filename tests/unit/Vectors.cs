using System;
using System.Diagnostics;
using System.IO;
using System.Text.Json;

namespace AlipayBptb.Tests;

/// <summary>The independent vectors of tests/vectors (made by openssl, python and iconv), and openssl itself.</summary>
internal static class Vectors
{
    public static string Dir => Path.Combine(AppContext.BaseDirectory, "vectors");

    public static string Text(string name) => File.ReadAllText(Path.Combine(Dir, name));

    public static string Path_(string name) => Path.Combine(Dir, name);

    public static string MessageUtf8 => Text("message.utf8.txt");

    public static JsonElement Md5 => JsonDocument.Parse(Text("md5.json")).RootElement;

    /// <summary>The base64 body of a PEM file, as Alipay's tools hand keys around.</summary>
    public static string Bare(string pemName)
    {
        string pem = Text(pemName);
        var sb = new System.Text.StringBuilder();
        foreach (string line in pem.Split('\n'))
        {
            if (!line.StartsWith("-----", StringComparison.Ordinal))
            {
                sb.Append(line.Trim());
            }
        }
        return sb.ToString();
    }

    /// <summary>Runs openssl; returns its exit code and output.</summary>
    public static (int ExitCode, string Output) OpenSsl(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd() + p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output);
    }
}
