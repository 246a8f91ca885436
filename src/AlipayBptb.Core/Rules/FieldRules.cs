using System;
using System.Text.RegularExpressions;

namespace AlipayBptb.Core.Rules;

/// <summary>
/// The spec's rules for the fields that requests, callbacks and payment files share: partner, email, file name
/// and the callback URLs. One place, so that a request, a file and a check never disagree on what is allowed.
/// A value that breaks a rule is refused with a <see cref="FieldRuleException"/> naming the field and the rule.
/// </summary>
public static class FieldRules
{
    // \z, never $: in .NET '$' also matches before a final '\n', so "2088002464631181\n" would pass and be signed.
    private static readonly Regex PartnerPattern = new(@"^2088[0-9]{12}\z", RegexOptions.CultureInvariant);
    private static readonly Regex EmailPattern = new(@"^[^@\s]+@[^@\s]+\.[^@\s.]+\z", RegexOptions.CultureInvariant);
    private static readonly string[] FileExtensions = { ".csv", ".xls", ".zip" };
    private static readonly char[] FolderSeparators = { '/', '\\', ':' };

    /// <summary>True for 2088 followed by 12 digits (spec 4.2), without throwing.</summary>
    public static bool IsPartner(string? partner) => partner != null && PartnerPattern.IsMatch(partner);

    public static string Partner(string partner)
    {
        if (!IsPartner(partner))
        {
            throw new FieldRuleException("InvalidPartner",
                $"The partner '{InputText.Show(partner)}' is not a partner ID: it must be 2088 followed by 12 digits, 16 digits in all and nothing else (spec 4.2).", "Partner");
        }
        return partner;
    }

    public static string Email(string email)
    {
        // Hidden characters first, named by code point: a NUL, a line break or a bidi override such as U+202E makes
        // the account shown differ from the account signed (rules 3-1: email is the payer account that uploaded).
        int hidden = email == null ? -1 : InputText.FindHidden(email);
        if (hidden >= 0)
        {
            throw new FieldRuleException("InvalidEmail",
                $"The email '{InputText.Show(email)}' holds {InputText.DescribeHidden(email!, hidden)}: give the payer account's email exactly as registered with Alipay (rules 3-1).", "Email");
        }
        if (email == null || email.Length > 100 || !EmailPattern.IsMatch(email))
        {
            throw new FieldRuleException("InvalidEmail",
                $"The email '{InputText.Show(email)}' does not look like an Alipay account email (name@domain, no white space): it must be the payer account that uploaded the file (rules 3-1).", "Email");
        }
        return email;
    }

    public static void FileName(string fileName)
    {
        string? problem = FileNameRule(fileName, out string advice, out bool showName);
        if (problem != null)
        {
            string shown = showName ? $" '{InputText.Show(fileName)}'" : string.Empty;
            throw new FieldRuleException("InvalidFileName", $"The file name{shown} {problem}: {advice}.", "FileName");
        }
    }

    private static string? FileNameRule(string? fileName, out string advice, out bool showName)
    {
        const string AsUploaded = "give the name exactly as it was uploaded (spec 4.2, file_name)";
        advice = AsUploaded;
        showName = true;
        if (fileName == null || string.IsNullOrWhiteSpace(fileName))
        {
            advice = "give the name of the uploaded payment file (spec 4.2)";
            showName = false;
            return "is empty";
        }
        int hidden = InputText.FindHidden(fileName);
        if (hidden >= 0)
        {
            return "holds " + InputText.DescribeHidden(fileName, hidden);
        }
        // Checked before the extension, so that "a.csv " is refused for what is wrong with it: Alipay looks the file up
        // by the exact name it was uploaded under, and a space copied along finds nothing (FILE_NOT_EXIST).
        if (char.IsWhiteSpace(fileName[0]) || char.IsWhiteSpace(fileName[fileName.Length - 1]))
        {
            bool begins = char.IsWhiteSpace(fileName[0]);
            char c = begins ? fileName[0] : fileName[fileName.Length - 1];
            string what = c == ' ' ? "a space" : $"white space ({InputText.CodePoint(fileName, begins ? 0 : fileName.Length - 1)})";
            advice = "give the name exactly as it was uploaded, without spaces around it (spec 4.2, file_name)";
            return $"{(begins ? "begins" : "ends")} with {what}";
        }
        if (fileName.IndexOfAny(FolderSeparators) >= 0)
        {
            advice = "give the file's name alone, as it was uploaded (spec 4.2, file_name)";
            return "has a folder in it";
        }
        if (fileName.Length > 100)
        {
            advice = "Alipay takes at most 100 (FILE_NAME_TO_LONG)";
            showName = false;
            return $"is {fileName.Length} characters long";
        }
        foreach (string ext in FileExtensions)
        {
            if (fileName.Length > ext.Length && fileName.EndsWith(ext, StringComparison.OrdinalIgnoreCase))
            {
                return null;
            }
        }
        advice = "payment files are uploaded as one of those (pay_file_confirm rules 4-1)";
        return "has no .csv, .xls or .zip extension";
    }

    // A URL is checked on the text as given, before Uri parses it: Uri trims white space and control characters at
    // either end and escapes them inside, so "http://x/r\n" would parse clean while the raw text, with its line break,
    // is what is signed and sent. Messages quote the URL through InputText.ShowUrl: hidden characters made visible,
    // and a user name or password replaced by *** (credentials given by mistake must not reach error logs).
    public static string CallbackUrl(string url, string parameterName, bool loopbackGateway)
    {
        string errorId = "Invalid" + parameterName;
        if (string.IsNullOrEmpty(url))
        {
            throw new FieldRuleException(errorId, $"The {parameterName} is empty: give an absolute http or https URL (spec 4.2).", parameterName);
        }
        int hidden = InputText.FindHidden(url);
        if (hidden >= 0)
        {
            throw new FieldRuleException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' holds {InputText.DescribeHidden(url, hidden)}: a URL is one line of visible characters; percent-encode what it needs.", parameterName);
        }
        for (int i = 0; i < url.Length; i++)
        {
            if (char.IsWhiteSpace(url[i]))
            {
                string what = url[i] == ' ' ? "a space" : $"white space ({InputText.CodePoint(url, i)})";
                throw new FieldRuleException(errorId,
                    $"The {parameterName} '{InputText.ShowUrl(url)}' holds {what} at position {i + 1}: a URL has none; percent-encode it (%20 for a space) or remove it.", parameterName);
            }
        }
        if (!Uri.TryCreate(url, UriKind.Absolute, out Uri? uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new FieldRuleException(errorId, $"The {parameterName} '{InputText.ShowUrl(url)}' is not an absolute http or https URL (spec 4.2).", parameterName);
        }
        if (uri.UserInfo.Length > 0 || InputText.RedactUserInfo(url) != url)
        {
            // Not repeated: what stands before '@' is a password as often as not. Alipay calls the page itself, and a
            // password in return_url would be signed into the request and shown in the payer's browser.
            throw new FieldRuleException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' has a user name or password before '@' (not repeated here): Alipay's callbacks cannot carry credentials, and they would travel in the signed request in clear; give the page alone.", parameterName);
        }
        if (uri.Query.Length > 0 || url.IndexOf('?') >= 0)
        {
            throw new FieldRuleException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' has a query string: Alipay adds its own parameters, so give the page alone (spec 7.1 (7)).", parameterName);
        }
        if (uri.Fragment.Length > 0)
        {
            throw new FieldRuleException(errorId, $"The {parameterName} '{InputText.ShowUrl(url)}' has a #fragment: give the page alone.", parameterName);
        }
        if (url.IndexOf('!') >= 0)
        {
            throw new FieldRuleException(errorId, $"The {parameterName} '{InputText.ShowUrl(url)}' contains '!', which Alipay refuses (spec 7.1 (8)).", parameterName);
        }
        // Spec 7.1 (8) (return_url: no local address, Alipay checks the domain) and 7.2 (10) (notify_url: reachable from
        // the internet): Alipay's servers and the payer's browser come from the internet, so a page on this machine, a
        // private network or an unspecified address is never reached. Only a local test gateway may call back there.
        string section = parameterName == "NotifyUrl" ? "spec 7.2 (10)" : "spec 7.1 (8)";
        if (!loopbackGateway && HostRules.IsLocalHost(uri))
        {
            throw new FieldRuleException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' points at this machine (localhost), which Alipay cannot reach from the internet and refuses ({section}); only a local test gateway may call back to loopback.", parameterName);
        }
        if (!loopbackGateway && HostRules.UnreachableAddress(uri) is { } unreachable)
        {
            throw new FieldRuleException(errorId,
                $"The {parameterName} '{InputText.ShowUrl(url)}' is on {unreachable}, which Alipay cannot reach from the internet ({section}); give a public address or host name, or call back there only from a local test gateway.", parameterName);
        }
        if (url.Length > 200)
        {
            throw new FieldRuleException(errorId, $"The {parameterName} is {url.Length} characters long: Alipay takes at most 200.", parameterName);
        }
        return url;
    }
}
