namespace AlipayBptb.Core.PaymentFiles;

/// <summary>An amount as a payment file takes it (spec 4.3, rules 4-1), read from text: decimal, never floating point.</summary>
public static class PaymentAmount
{
    /// <summary>
    /// Reads yuan written in half-width digits with at most two decimals, above zero. False with the reason in
    /// <paramref name="problem"/> (to follow the field's name) otherwise.
    /// </summary>
    public static bool TryParse(string? text, out decimal amount, out string? problem)
    {
        FieldFault? fault = PaymentFieldRules.Amount(text ?? string.Empty, out amount);
        problem = fault?.Reason;
        return fault == null;
    }
}
