namespace AlipayBptb.Core.PaymentFiles;

/// <summary>
/// The batch's <c>bussiness_type</c> (spec 4.2): T1 pays the next day and is Alipay's default; T0 pays the same day,
/// to the banks of spec 8.4 only.
/// </summary>
public enum BusinessType
{
    T1,
    T0,
}
