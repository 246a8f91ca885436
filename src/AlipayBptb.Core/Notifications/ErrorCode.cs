using System;
using System.Collections.Generic;
using System.Linq;

namespace AlipayBptb.Core.Notifications;

/// <summary>
/// One result code: of spec 10.1 (batch payment business codes) or 10.2 (system codes), the result_code of
/// the return sample of spec 5.2, or one of the special codes of rules 3-1 (错误码处理).
/// </summary>
public sealed class ErrorCode
{
    internal ErrorCode(string code, string section, string meaning, string description, string action, bool stopAll = false)
    {
        Code = code;
        Section = section;
        Meaning = meaning;
        Description = description;
        Action = action;
        StopAll = stopAll;
    }

    public string Code { get; }

    /// <summary>
    /// Where the code is written: "10.1" for business codes, "10.2" for system codes, "5.2" for the sample
    /// result_code of the return (spec 5.2), "rules 3-1" for the special codes only the rules name.
    /// </summary>
    public string Section { get; }

    /// <summary>The meaning as the spec gives it, in Chinese.</summary>
    public string Meaning { get; }

    public string Description { get; }

    /// <summary>What to do about it.</summary>
    public string Action { get; }

    /// <summary>
    /// True for the special codes of rules 3-1 (错误码处理: UNKNOWN_EXCEPTION, GENERIC_FAILURE, SYSTEM_ERROR): the
    /// merchant must stop every further operation, on every batch, and check the balance with customer.balance.query
    /// or ask Alipay's technical support before doing anything else.
    /// </summary>
    public bool StopAll { get; }

    public override string ToString() => Code;

    /// <summary>Looks a code up (exact, upper case as Alipay sends it); null when unknown.</summary>
    public static ErrorCode? Find(string? code) =>
        code != null && ByCode.TryGetValue(code, out ErrorCode? e) ? e : null;

    private const string CallSupport = "Stop, and ask Alipay's technical support; do not resubmit until they answer.";

    // Rules 3-1 (错误码处理), as the rules give it: stop every further operation (not only this batch), then query
    // the balance with customer.balance.query or ask Alipay's technical support; Alipay may have stopped answering,
    // so a balance query can fail too and is worth repeating a few minutes later.
    private const string StopAllAction = "Stop ALL further operations, on every batch, not only this one (rules 3-1, 错误码处理). Then check the account balance with customer.balance.query (Alipay may have stopped answering: query again after a few minutes), or ask Alipay's technical support.";

    // Spec 10.2's note: on a system error, ask Alipay's technical support. Rules 4-1 (接口异常): after an
    // exception while confirming, look the file up with bptb_file_query.
    private const string SystemAction = "A system error (spec 10.2): ask Alipay's technical support, and check with bptb_file_query whether the batch was confirmed (rules 4-1) before you submit it again.";

    /// <summary>
    /// Every code: the sample result_code of spec 5.2, then spec 10.1 and 10.2 in the spec's order, then the special
    /// codes that only rules 3-1 names.
    /// </summary>
    public static readonly IReadOnlyList<ErrorCode> All = new[]
    {
        // Spec 5.2 gives USER_CONFIRM_SUCCESS as the sample result_code of a successful return; 10.1 does not list it,
        // and the return sample of 5.3 sends USER_CONFIRM_SUCC for the same outcome. Known, so it is explained.
        new ErrorCode("USER_CONFIRM_SUCCESS", "5.2", "复核成功（5.2 result_code 样例值）", "The batch was confirmed successfully (with is_success=T). It is the sample result_code of spec 5.2 and not in the table of 10.1; the return sample of 5.3 sends USER_CONFIRM_SUCC for the same outcome.", "Record the batch as confirmed once (deduplicate by file name); never confirm or upload it again. The processing result follows in bptb_result_notify."),
        new ErrorCode("QUERY_RESULT_IS_NULL", "10.1", "查询信息为空", "The query found nothing.", "Check the file name and wait: a file can be confirmed 5 minutes after upload at the earliest (rules 4-1)."),
        new ErrorCode("USER_NOT_EXIST", "10.1", "提交的 email 用户不存在", "The email submitted is not an Alipay user.", "Give the payer account's email exactly as registered with Alipay."),
        new ErrorCode("DETAIL_VALIDATED_FAIL", "10.1", "该批次的所有明细校验全部失败", "Every detail line of the batch failed validation; nothing can be paid.", "Download the validation details (bptb_file_query), fix the payment file, and upload it under a new name."),
        new ErrorCode("USER_CONFIRM_SUCC", "10.1", "批次已复核成功，不要重复复核", "The batch is confirmed. Spec 10.1 gives it as 'the batch was already confirmed successfully, do not confirm it again' (the answer to a repeated confirmation), yet the return sample of spec 5.3 sends it with is_success=T for a confirmation that just succeeded: read is_success to tell which.", "Record the batch as confirmed once (deduplicate by file name); never confirm or upload it again."),
        new ErrorCode("FILE_NOT_EXIST", "10.1", "查询待复核的文件不存在", "No uploaded file waits for confirmation under this name.", "Check file_name against the uploaded name (without any folder), and that the upload was accepted and is less than 15 days old."),
        new ErrorCode("ACCOUNT_NOT_CONSISTENT", "10.1", "付款账户和所填 email 不一致", "The payer account of the upload and the email given differ.", "Set email to the Alipay account that uploaded the file (rules 3-1)."),
        new ErrorCode("USER_PASS_ERROR", "10.1", "您的支付密码错误, 请重新输入", "The payment password was wrong.", "Let the payer retry with the right payment password; repeated failures can lock the account."),
        new ErrorCode("USER_BLOCK_STATUS", "10.1", "email 账户被冻结", "The payer account is frozen.", "The account holder must contact Alipay to unfreeze the account."),
        new ErrorCode("ILLEGAL_SIGN", "10.1", "签名不正确", "The signature is wrong.", "Compare ConvertTo-BptbSignString with what was signed: check the key, _input_charset, that values are signed raw (not URL-encoded), and that a form posts to gateway.do?_input_charset=... only."),
        new ErrorCode("ILLEGAL_DYN_MD5_KEY", "10.1", "动态密钥信息错误", "The dynamic key is wrong.", CallSupport),
        new ErrorCode("ILLEGAL_ENCRYPT", "10.1", "加密不正确", "The encryption is wrong.", "Check sign_type and the key that matches it."),
        new ErrorCode("ILLEGAL_ARGUMENT", "10.1", "参数不正确", "A parameter is wrong.", "Check every parameter against spec 4.2: required ones present, none empty, formats as listed."),
        new ErrorCode("ILLEGAL_SERVICE", "10.1", "非法服务名称", "The service name is wrong.", "service must be bptb_user_confirm."),
        new ErrorCode("ILLEGAL_USER", "10.1", "用户 ID 不正确", "The user ID is wrong.", "Check the partner ID and the account."),
        new ErrorCode("ILLEGAL_PARTNER", "10.1", "合作伙伴信息不正确", "The partner ID is wrong.", "partner must be the contract's 16-digit ID starting 2088, matching the key."),
        new ErrorCode("ILLEGAL_EXTERFACE", "10.1", "接口配置不正确", "The interface is not configured.", CallSupport),
        new ErrorCode("ILLEGAL_PARTNER_EXTERFACE", "10.1", "合作伙伴接口信息不正确", "The partner's interface settings are wrong.", "Check that the contract includes bptb_user_confirm; otherwise ask Alipay."),
        new ErrorCode("ILLEGAL_SECURITY_PROFILE", "10.1", "未找到匹配的密钥配置", "No key is configured for this sign type.", "Use the sign type whose key is configured with Alipay (MD5 key, or the RSA/DSA public key exchanged)."),
        new ErrorCode("ILLEGAL_AGENT", "10.1", "代理 ID 不正确", "The agent ID is wrong.", CallSupport),
        new ErrorCode("ILLEGAL_SIGN_TYPE", "10.1", "签名类型不正确", "The sign type is wrong.", "sign_type must be MD5, RSA or DSA, upper case."),
        new ErrorCode("ILLEGAL_CHARSET", "10.1", "字符集不合法", "The charset is not allowed.", "_input_charset must be utf-8, gbk or gb2312, and the signed bytes in the same charset."),
        new ErrorCode("ILLEGAL_CLIENT_IP", "10.1", "客户端 IP 地址无权访问服务", "The client IP may not use the service.", "Call from a registered server address, or ask Alipay to register it."),
        new ErrorCode("HAS_NO_PRIVILEGE", "10.1", "未开通此接口权限", "The interface is not enabled for this partner.", "Ask Alipay to enable bptb_user_confirm for the contract."),
        new ErrorCode("ILLEGAL_DIGEST_TYPE", "10.1", "摘要类型不正确", "The digest type is wrong.", "file_digest_type must be MD5 or SHA (upload step)."),
        new ErrorCode("ILLEGAL_DIGEST", "10.1", "文件摘要不正确", "The file digest is wrong.", "Recompute the digest over the exact bytes uploaded (upload step)."),
        new ErrorCode("ILLEGAL_FILE_FORMAT", "10.1", "文件格式不正确", "The file format is wrong.", "Upload a GBK-encoded .csv, .xls or .zip in the format of the upload spec 4.3."),
        new ErrorCode("ILLEGAL_ENCODING", "10.1", "不支持该编码类型", "The encoding is not supported.", "Use utf-8, gbk or gb2312; payment files must be GBK."),
        new ErrorCode("ILLEGAL_REQUEST_REFERER", "10.1", "防钓鱼检查不支持该请求来源", "Anti-phishing: the request's referrer is not allowed.", "Send the payer from the registered site."),
        new ErrorCode("ILLEGAL_ANTI_PHISHING_KEY", "10.1", "防钓鱼检查非法时间戳参数", "Anti-phishing: the timestamp parameter is invalid.", CallSupport),
        new ErrorCode("ANTI_PHISHING_KEY_TIMEOUT", "10.1", "防钓鱼检查时间戳超时", "Anti-phishing: the timestamp has expired.", "Build a fresh request and send the payer at once."),
        new ErrorCode("ILLEGAL_EXTER_INVOKE_IP", "10.1", "防钓鱼检查非法调用 IP", "Anti-phishing: the calling IP is not allowed.", "Call from a registered address."),
        new ErrorCode("SYSTEM_ERROR", "10.2", "支付宝系统错误", "Alipay system error. One of the special codes of rules 3-1: whatever it answered, the state of the account is unknown.", StopAllAction, stopAll: true),
        new ErrorCode("SESSION_TIMEOUT", "10.2", "session 超时", "The session timed out.", "Build a fresh request and let the payer start again."),
        new ErrorCode("ILLEGAL_TARGET_SERVICE", "10.2", "错误的 target_service", "The target service is wrong.", SystemAction),
        new ErrorCode("ILLEGAL_ACCESS_SWITCH_SYSTEM", "10.2", "partner 不允许访问该类型的系统", "The partner may not access this kind of system.", SystemAction),
        new ErrorCode("ILLEGAL_SWITCH_SYSTEM", "10.2", "切换系统异常", "The system switch failed.", SystemAction),
        new ErrorCode("EXTERFACE_IS_CLOSED", "10.2", "接口已关闭", "The interface is closed.", SystemAction),

        // Rules 3-1 (错误码处理) names these two beside SYSTEM_ERROR; spec 10 does not list them. UNKNOWN_EXCEPTION's
        // meaning is the one of the upload interface (bptb_pay_file_confirm 8.3); GENERIC_FAILURE has none in any spec.
        new ErrorCode("UNKNOWN_EXCEPTION", "rules 3-1", "未知异常", "Unknown exception at Alipay: the state of the account is unknown.", StopAllAction, stopAll: true),
        new ErrorCode("GENERIC_FAILURE", "rules 3-1", "特殊错误码（规则 3-1 所列，规范未给出含义）", "A generic failure at Alipay, with no further meaning given: the state of the account is unknown.", StopAllAction, stopAll: true),
    };

    private static readonly Dictionary<string, ErrorCode> ByCode = All.ToDictionary(e => e.Code, StringComparer.Ordinal);
}
