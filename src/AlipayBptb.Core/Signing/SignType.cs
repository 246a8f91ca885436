namespace AlipayBptb.Core.Signing;

/// <summary>The signature methods of spec 8.2, named as on the wire (upper case).</summary>
public enum SignType
{
    MD5,
    RSA,
    DSA,
}
