namespace AlipayBptb.Core.PaymentFiles;

/// <summary>对公对私标志 (spec 4.3): whether the receiving bank account is a company's or a person's.</summary>
public enum AccountFlag
{
    /// <summary>1: 对公, a company account.</summary>
    Corporate = 1,

    /// <summary>2: 对私, a personal account.</summary>
    Personal = 2,
}
