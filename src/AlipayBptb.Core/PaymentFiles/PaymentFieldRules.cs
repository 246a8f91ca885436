using System;
using System.Globalization;
using AlipayBptb.Core.Rules;
using AlipayBptb.Core.Signing;

namespace AlipayBptb.Core.PaymentFiles;

/// <summary>Why a value breaks a rule: the spec's code (or ours) and the reason, to follow "row N, column: ".</summary>
internal readonly struct FieldFault
{
    public FieldFault(string code, string reason)
    {
        Code = code;
        Reason = reason;
    }

    public string Code { get; }

    public string Reason { get; }
}

/// <summary>
/// The rules of one value of a payment file (spec 4.3, rules 4-1), shared by the checker (which reports a problem)
/// and the writer (which refuses to write): one place, so that the writer never writes what the checker refuses.
/// </summary>
internal static class PaymentFieldRules
{
    public const int MaxRows = 3000;
    public const int MaxSerialLength = 22;
    public const int MaxAccountNumberLength = 30;
    public const int MaxRemarkBytes = 256;
    public const string HyphenBank = "中国农业银行";

    // An amount as Alipay takes it (spec 8.1 MONEY_FORMAT_ERROR, rules 4-1): half-width digits, at most two decimals,
    // more than 0. 13 integer digits keep a 3,000-row sum inside decimal with room to spare.
    public static FieldFault? Amount(string text, out decimal value)
    {
        value = 0m;
        if (text.Length == 0)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", "is empty: give the amount in yuan, e.g. 12.50");
        }
        int dot = text.IndexOf('.');
        int intDigits = dot < 0 ? text.Length : dot;
        int decimals = dot < 0 ? 0 : text.Length - dot - 1;
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c >= '０' && c <= '９' || c == '．')
            {
                return new FieldFault("MONEY_FORMAT_ERROR", $"'{Show(text)}' has full-width characters: write the amount with half-width digits, e.g. 12.50");
            }
            if (!(c >= '0' && c <= '9') && i != dot)
            {
                return new FieldFault("MONEY_FORMAT_ERROR", $"'{Show(text)}' is not an amount: write yuan with half-width digits and at most two decimals, e.g. 12.50 (no spaces, commas or currency signs)");
            }
        }
        if (intDigits == 0 || (dot >= 0 && decimals == 0))
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"'{Show(text)}' is not an amount: write digits on both sides of the point, e.g. 0.50");
        }
        if (decimals > 2)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"'{Show(text)}' has more than two decimals: amounts are yuan to the fen, e.g. 12.50");
        }
        if (intDigits > 13)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"'{Show(text)}' is far too large an amount");
        }
        value = decimal.Parse(text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        if (value <= 0m)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"'{Show(text)}' is not more than 0: every amount must be at least 0.01");
        }
        return null;
    }

    /// <summary>The writer's side of <see cref="Amount(string, out decimal)"/>: a value that cannot be written with two decimals.</summary>
    public static FieldFault? Amount(decimal value)
    {
        if (value <= 0m)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"{value.ToString(CultureInfo.InvariantCulture)} is not more than 0: every amount must be at least 0.01");
        }
        if (decimal.Round(value, 2) != value)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"{value.ToString(CultureInfo.InvariantCulture)} has more than two decimals: amounts are yuan to the fen; round it first");
        }
        if (value >= 10_000_000_000_000m)
        {
            return new FieldFault("MONEY_FORMAT_ERROR", $"{value.ToString(CultureInfo.InvariantCulture)} is far too large an amount");
        }
        return null;
    }

    public static string FormatAmount(decimal value) => value.ToString("0.00", CultureInfo.InvariantCulture);

    public static FieldFault? Serial(string text)
        => text.Length > MaxSerialLength
            ? new FieldFault("SERIAL_TOO_LONG", $"'{Show(text)}' is {text.Length} characters long: Alipay takes at most {MaxSerialLength} and shows N/A for a longer one (rules 4-1)")
            : null;

    public static FieldFault? AccountName(string text)
    {
        if (text.Length == 0)
        {
            return new FieldFault("ACCOUNT_NAME_EMPTY", "is empty: give the account holder's name as the bank has it");
        }
        for (int i = 0; i < text.Length; i++)
        {
            if (char.IsWhiteSpace(text[i]))
            {
                string what = text[i] == ' ' ? "a space" : text[i] == '\u3000' ? "a full-width space" : $"white space ({InputText.CodePoint(text, i)})";
                return new FieldFault("ACCOUNT_NAME_SPACE", $"'{Show(text)}' has {what} at position {i + 1}: the name must have no spaces, or Alipay sets it to N/A (rules 4-1)");
            }
        }
        return null;
    }

    public static FieldFault? AccountNumber(string text, string bank)
    {
        if (text.Length == 0)
        {
            return new FieldFault("ACCOUNT_NUMBER_FORMAT", "is empty: give the receiving bank account number");
        }
        if (text.Length > MaxAccountNumberLength)
        {
            return new FieldFault("ACCOUNT_NUMBER_FORMAT", $"'{Show(text)}' is {text.Length} characters long: at most {MaxAccountNumberLength} digits (rules 4-1)");
        }
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '-')
            {
                if (!string.Equals(bank, HyphenBank, StringComparison.Ordinal))
                {
                    return new FieldFault("ACCOUNT_NUMBER_FORMAT", $"'{Show(text)}' has a hyphen: only {HyphenBank} account numbers may have them (rules 4-1)");
                }
                continue;
            }
            if (c < '0' || c > '9')
            {
                string what = c >= '０' && c <= '９' ? "full-width digits" : $"'{Show(c.ToString())}' at position {i + 1}";
                return new FieldFault("ACCOUNT_NUMBER_FORMAT", $"'{Show(text)}' has {what}: an account number is half-width digits only (rules 4-1)");
            }
        }
        return null;
    }

    public static FieldFault? Bank(string text)
        => text.Length == 0 ? new FieldFault("BANK_EMPTY", "is empty: give the receiving bank's name, e.g. 中国工商银行 (spec 4.3)") : null;

    public static FieldFault? Flag(string text, out AccountFlag flag)
    {
        flag = text == "1" ? AccountFlag.Corporate : text == "2" ? AccountFlag.Personal : 0;
        return flag == 0
            ? new FieldFault("FLAG_INVALID", $"'{Show(text)}' is not 1 (对公, a company account) or 2 (对私, a personal account): Alipay fails the payment (rules 4-1)")
            : null;
    }

    public static FieldFault? Flag(AccountFlag flag)
        => flag != AccountFlag.Corporate && flag != AccountFlag.Personal
            ? new FieldFault("FLAG_INVALID", $"{(int)flag} is not 1 (对公, Corporate) or 2 (对私, Personal)")
            : null;

    public static FieldFault? Remark(string text, BptbCharset gbk)
    {
        if (text.IndexOf('^') >= 0)
        {
            return new FieldFault("REMARK_CHARACTER", $"'{Show(text)}' has '^', which Alipay's files do not allow: Alipay shows N/A (rules 4-1)");
        }
        int bytes;
        try
        {
            bytes = gbk.Encoding.GetByteCount(text);
        }
        catch (System.Text.EncoderFallbackException)
        {
            return null; // reported where the text is read or written: a character outside GBK
        }
        return bytes > MaxRemarkBytes
            ? new FieldFault("REMARK_TOO_LONG", $"is {bytes} bytes in GBK: at most {MaxRemarkBytes} (128 Chinese characters), or Alipay shows N/A (rules 4-1)")
            : null;
    }

    public static FieldFault? T0(string bank, AccountFlag flag)
        => T0Banks.Supports(bank, flag)
            ? null
            : new FieldFault("T0_BANK_UNSUPPORTED",
                $"'{Show(bank)}' does not take T0 (same-day) payments to {(flag == AccountFlag.Personal ? "personal (对私)" : "company (对公)")} accounts (spec 8.4): upload as T1, or move this payment to a T1 batch");

    // Mobile numbers are payer accounts too (rules 4-1: 支持邮箱、手机号码格式).
    public static bool IsMobile(string text)
    {
        if (text.Length != 11 || text[0] != '1')
        {
            return false;
        }
        foreach (char c in text)
        {
            if (c < '0' || c > '9')
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The email rule of <see cref="FieldRules.Email"/>, a mobile number accepted too; null when it passes.</summary>
    public static string? Account(string text)
    {
        if (IsMobile(text))
        {
            return null;
        }
        try
        {
            FieldRules.Email(text);
            return null;
        }
        catch (FieldRuleException ex)
        {
            return ex.Message;
        }
    }

    /// <summary>A value quoted in a message: cut to 40 characters, hidden characters shown by code point.</summary>
    public static string Show(string text)
    {
        string cut = text.Length > 40 ? text.Substring(0, 40) + "…" : text;
        return InputText.FindHidden(cut) >= 0 ? InputText.Show(cut) : cut;
    }
}
