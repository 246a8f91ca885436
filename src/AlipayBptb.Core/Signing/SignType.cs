namespace AlipayBptb.Core.Signing;

/// <summary>The signature methods of spec 8.2, named as on the wire (upper case).</summary>
public enum SignType
{
    MD5,
    RSA,
    DSA,
}

/// <summary>Reading a sign type as it stands on the wire.</summary>
public static class SignTypes
{
    /// <summary>The wire names only: "MD5", "RSA", "DSA", upper case as spec 6.2 requires.</summary>
    public static bool TryParse(string text, out SignType signType)
    {
        switch (text)
        {
            case "MD5":
                signType = SignType.MD5;
                return true;
            case "RSA":
                signType = SignType.RSA;
                return true;
            case "DSA":
                signType = SignType.DSA;
                return true;
            default:
                signType = default;
                return false;
        }
    }
}
