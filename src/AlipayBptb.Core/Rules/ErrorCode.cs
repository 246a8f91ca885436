using System;
using System.Collections.Generic;
using System.Linq;

namespace AlipayBptb.Core.Rules;

/// <summary>
/// One result code: of spec 10.1 (batch payment business codes) or 10.2 (system codes), the result_code of
/// the return sample of spec 5.2, one of the special codes of rules 3-1 (错误码处理), or of the upload spec's
/// tables 8.1-8.3 (bptb_pay_file_confirm). One table for both interfaces: <see cref="Interface"/> says whose.
/// </summary>
public sealed class ErrorCode
{
    internal ErrorCode(string code, string section, string meaning, string description, string action, bool stopAll = false, string? uploadMessage = null, string? uploadSection = null, bool confirm = true, bool upload = false)
    {
        Code = code;
        Section = section;
        Meaning = meaning;
        Description = description;
        Action = action;
        StopAll = stopAll;
        UploadMessage = uploadMessage;
        UploadSection = uploadSection;
        Interface = uploadMessage == null && !upload ? ConfirmInterface : confirm ? "both" : UploadInterface;
    }

    private const string ConfirmInterface = "bptb_user_confirm";
    private const string UploadInterface = "bptb_pay_file_confirm";

    /// <summary>
    /// The interface whose spec lists the code: "bptb_user_confirm" (spec 10.1, 10.2, 5.2, its rules 3-1),
    /// "bptb_pay_file_confirm" (the upload spec's 8.1-8.3 only) or "both".
    /// </summary>
    public string Interface { get; }

    /// <summary>
    /// The message the upload interface writes after "文件上传失败!" for this code, exactly as the upload spec's tables
    /// 8.1-8.3 give it (line breaks of the table joined); null for codes the upload interface does not answer.
    /// </summary>
    public string? UploadMessage { get; }

    /// <summary>Where the upload spec lists the code: "8.1", "8.2" or "8.3"; null when it does not.</summary>
    public string? UploadSection { get; }

    public string Code { get; }

    /// <summary>
    /// Where the code is written: "10.1" for business codes, "10.2" for system codes, "5.2" for the sample
    /// result_code of the return (spec 5.2), "rules 3-1" for the special codes only the rules name, "upload 8.1" or
    /// "upload 8.2" for codes only the upload spec (bptb_pay_file_confirm) lists (see <see cref="UploadSection"/>).
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

    /// <summary>
    /// The code whose upload message (tables 8.1-8.3) is <paramref name="message"/>, compared after NFKC normalization
    /// with white space removed: the spec's tables write full-width '！' and '，' and spaces around Latin words where
    /// the answer of its 5.2 sample writes '!' and none. Null when no code has that message.
    /// </summary>
    public static ErrorCode? FindByUploadMessage(string? message) =>
        message != null && ByUploadMessage.TryGetValue(MessageKey(message), out ErrorCode? e) ? e : null;

    internal static string MessageKey(string message)
    {
        string normalized = message.Normalize(System.Text.NormalizationForm.FormKC);
        var sb = new System.Text.StringBuilder(normalized.Length);
        foreach (char c in normalized)
        {
            if (!char.IsWhiteSpace(c))
            {
                sb.Append(c);
            }
        }
        return sb.ToString();
    }

    private const string CallSupport = "Stop, and ask Alipay's technical support; do not resubmit until they answer.";

    // Rules 3-1 (错误码处理), as the rules give it: stop every further operation (not only this batch), then query
    // the balance with customer.balance.query or ask Alipay's technical support; Alipay may have stopped answering,
    // so a balance query can fail too and is worth repeating a few minutes later.
    private const string StopAllAction = "Stop ALL further operations, on every batch, not only this one (rules 3-1, 错误码处理). Then check the account balance with customer.balance.query (Alipay may have stopped answering: query again after a few minutes), or ask Alipay's technical support. After an upload (bptb_pay_file_confirm), look the file up with bptb_file_query before anything else, and never rename it and upload it again (upload rules 3-1 and 4-1).";

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
        new ErrorCode("USER_NOT_EXIST", "10.1", "提交的 email 用户不存在", "The email submitted is not an Alipay user.", "Give the payer account's email exactly as registered with Alipay.", uploadMessage: "用户不存在", uploadSection: "8.1"),
        new ErrorCode("DETAIL_VALIDATED_FAIL", "10.1", "该批次的所有明细校验全部失败", "Every detail line of the batch failed validation; nothing can be paid.", "Download the validation details (bptb_file_query), fix the payment file, and upload it under a new name."),
        new ErrorCode("USER_CONFIRM_SUCC", "10.1", "批次已复核成功，不要重复复核", "The batch is confirmed. Spec 10.1 gives it as 'the batch was already confirmed successfully, do not confirm it again' (the answer to a repeated confirmation), yet the return sample of spec 5.3 sends it with is_success=T for a confirmation that just succeeded: read is_success to tell which.", "Record the batch as confirmed once (deduplicate by file name); never confirm or upload it again."),
        new ErrorCode("FILE_NOT_EXIST", "10.1", "查询待复核的文件不存在", "No uploaded file waits for confirmation under this name.", "Check file_name against the uploaded name (without any folder), and that the upload was accepted and is less than 15 days old."),
        new ErrorCode("ACCOUNT_NOT_CONSISTENT", "10.1", "付款账户和所填 email 不一致", "The payer account of the upload and the email given differ.", "Set email to the Alipay account that uploaded the file (rules 3-1)."),
        new ErrorCode("USER_PASS_ERROR", "10.1", "您的支付密码错误, 请重新输入", "The payment password was wrong.", "Let the payer retry with the right payment password; repeated failures can lock the account."),
        new ErrorCode("USER_BLOCK_STATUS", "10.1", "email 账户被冻结", "The payer account is frozen.", "The account holder must contact Alipay to unfreeze the account.", uploadMessage: "账户被冻结", uploadSection: "8.1"),
        new ErrorCode("ILLEGAL_SIGN", "10.1", "签名不正确", "The signature is wrong.", "Compare ConvertTo-BptbSignString with what was signed: check the key, _input_charset, that values are signed raw (not URL-encoded), and that a form posts to gateway.do?_input_charset=... only.", uploadMessage: "表示进行数字验签失败", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_DYN_MD5_KEY", "10.1", "动态密钥信息错误", "The dynamic key is wrong.", CallSupport, uploadMessage: "表示使用的动态 MD5 密钥存在问题", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_ENCRYPT", "10.1", "加密不正确", "The encryption is wrong.", "Check sign_type and the key that matches it.", uploadMessage: "表示加密错误", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_ARGUMENT", "10.1", "参数不正确", "A parameter is wrong.", "Check every parameter against spec 4.2: required ones present, none empty, formats as listed.", uploadMessage: "表示传递的参数无法通过规则校验", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_SERVICE", "10.1", "非法服务名称", "The service name is wrong.", "service must be bptb_user_confirm.", uploadMessage: "表示访问的接口名称不存在或者不正确", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_USER", "10.1", "用户 ID 不正确", "The user ID is wrong.", "Check the partner ID and the account.", uploadMessage: "表示无法找到该客户信息", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_PARTNER", "10.1", "合作伙伴信息不正确", "The partner ID is wrong.", "partner must be the contract's 16-digit ID starting 2088, matching the key.", uploadMessage: "表示请求中的商户信息不存在", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_EXTERFACE", "10.1", "接口配置不正确", "The interface is not configured.", CallSupport, uploadMessage: "请求的接口信息不存在", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_PARTNER_EXTERFACE", "10.1", "合作伙伴接口信息不正确", "The partner's interface settings are wrong.", "Check that the contract includes bptb_user_confirm; otherwise ask Alipay.", uploadMessage: "商户访问的接口信息不存在", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_SECURITY_PROFILE", "10.1", "未找到匹配的密钥配置", "No key is configured for this sign type.", "Use the sign type whose key is configured with Alipay (MD5 key, or the RSA/DSA public key exchanged).", uploadMessage: "未找到匹配的密钥配置", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_AGENT", "10.1", "代理 ID 不正确", "The agent ID is wrong.", CallSupport, uploadMessage: "代理的 ID 不正确", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_SIGN_TYPE", "10.1", "签名类型不正确", "The sign type is wrong.", "sign_type must be MD5, RSA or DSA, upper case.", uploadMessage: "签名类型不正确或者为空时报出该异常", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_CHARSET", "10.1", "字符集不合法", "The charset is not allowed.", "_input_charset must be utf-8, gbk or gb2312, and the signed bytes in the same charset.", uploadMessage: "字符集不支持或者不合字符集规范", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_CLIENT_IP", "10.1", "客户端 IP 地址无权访问服务", "The client IP may not use the service.", "Call from a registered server address, or ask Alipay to register it.", uploadMessage: "该 IP 地址的系统无法访问该接口", uploadSection: "8.2"),
        new ErrorCode("HAS_NO_PRIVILEGE", "10.1", "未开通此接口权限", "The interface is not enabled for this partner.", "Ask Alipay to enable bptb_user_confirm for the contract.", uploadMessage: "无权访问该接口", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_DIGEST_TYPE", "10.1", "摘要类型不正确", "The digest type is wrong.", "file_digest_type must be MD5 or SHA (upload step).", uploadMessage: "文件摘要算法输入错误，必须为 MD5 或者是 SHA", uploadSection: "8.1"),
        new ErrorCode("ILLEGAL_DIGEST", "10.1", "文件摘要不正确", "The file digest is wrong.", "Recompute the digest over the exact bytes uploaded (upload step).", uploadMessage: "摘要检查不正确,无法通过文件摘要检查", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_FILE_FORMAT", "10.1", "文件格式不正确", "The file format is wrong.", "Upload a GBK-encoded .csv, .xls or .zip in the format of the upload spec 4.3.", uploadMessage: "文件的格式检查不正确", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_ENCODING", "10.1", "不支持该编码类型", "The encoding is not supported.", "Use utf-8, gbk or gb2312; payment files must be GBK.", uploadMessage: "不支持该编码类型", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_REQUEST_REFERER", "10.1", "防钓鱼检查不支持该请求来源", "Anti-phishing: the request's referrer is not allowed.", "Send the payer from the registered site.", uploadMessage: "非法的网站请求来源", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_ANTI_PHISHING_KEY", "10.1", "防钓鱼检查非法时间戳参数", "Anti-phishing: the timestamp parameter is invalid.", CallSupport, uploadMessage: "防钓鱼检查确认非法时间戳,检验不通过", uploadSection: "8.2"),
        new ErrorCode("ANTI_PHISHING_KEY_TIMEOUT", "10.1", "防钓鱼检查时间戳超时", "Anti-phishing: the timestamp has expired.", "Build a fresh request and send the payer at once.", uploadMessage: "防钓鱼检查时间超时", uploadSection: "8.2"),
        new ErrorCode("ILLEGAL_EXTER_INVOKE_IP", "10.1", "防钓鱼检查非法调用 IP", "Anti-phishing: the calling IP is not allowed.", "Call from a registered address.", uploadMessage: "防钓鱼 IP 检查失败或者为空", uploadSection: "8.2"),
        new ErrorCode("SYSTEM_ERROR", "10.2", "支付宝系统错误", "Alipay system error. One of the special codes of rules 3-1: whatever it answered, the state of the account is unknown.", StopAllAction, stopAll: true, uploadMessage: "支付宝系统错误", uploadSection: "8.3"),
        new ErrorCode("SESSION_TIMEOUT", "10.2", "session 超时", "The session timed out.", "Build a fresh request and let the payer start again.", uploadMessage: "session 超时", uploadSection: "8.3"),
        new ErrorCode("ILLEGAL_TARGET_SERVICE", "10.2", "错误的 target_service", "The target service is wrong.", SystemAction, uploadMessage: "错误的 target_service", uploadSection: "8.3"),
        new ErrorCode("ILLEGAL_ACCESS_SWITCH_SYSTEM", "10.2", "partner 不允许访问该类型的系统", "The partner may not access this kind of system.", SystemAction, uploadMessage: "partner 不允许访问该类型的系统", uploadSection: "8.3"),
        new ErrorCode("ILLEGAL_SWITCH_SYSTEM", "10.2", "切换系统异常", "The system switch failed.", SystemAction, uploadMessage: "切换系统异常", uploadSection: "8.3"),
        new ErrorCode("EXTERFACE_IS_CLOSED", "10.2", "接口已关闭", "The interface is closed.", SystemAction, uploadMessage: "接口已关闭", uploadSection: "8.2, 8.3"),

        // The upload interface (bptb_pay_file_confirm): the codes of its table 8.1 that bptb_user_confirm does not
        // list, and the one code of 8.2 spelled differently from 8.1's (ILLEGAL_DIGEST_TYP beside ILLEGAL_DIGEST_TYPE).
        // Its answer is "文件上传失败!" and the message; upload rules 3-1 map the message back to the code.
        Upload("UPLOAD_FILE_NULL", "非常抱歉，找不到上传的文件！", "No file came with the upload.", "Send the file in the multipart field bptb_pay_file, with its file name."),
        Upload("USER_REGISTER_EMAIL", "非常抱歉，您非 EMAIL 注册商户，不允许该项操作！", "The account was not registered with an email, so it may not upload payment files.", CallSupport),
        Upload("FILE_NAME_REPEAT", "非常抱歉，您上传的文件名不能相同！", "A file of this name (the extension ignored) was uploaded before: the name is the batch's identity.", "Do not rename the file and upload it again: look the earlier upload up with bptb_file_query (upload rules 4-1). Only a new batch gets a new name."),
        Upload("FILE_TYPE_ERROR", "非常抱歉，您上传的文件类型错误，应该为 xls、csv 或 zip 格式！", "The file is not .xls, .csv or .zip.", "Upload the payment file as .csv (GBK), .xls or .zip."),
        Upload("FILE_NAME_TO_LONG", "文件名长度不能超过 100 字符", "The file name is longer than 100 characters.", "Use a file name of at most 100 characters."),
        Upload("SHEET1_IS_NULL", "上传的文件内容为空或 sheet1 为空", "The file, or its first sheet, is empty.", "Write the summary line, the header and the payment lines (upload spec 4.3)."),
        Upload("REQUEST_PARAMS_ERROR", "请检查文件中的参数是否满足下列所有条件：\n1、上传的文件中，第二行第一列的时间格式必须符合 yyyyMMdd，如：20091008\n2、上传的文件中，第二行第三列的总笔数格式必须为半角数字，笔数必须大于 0 且为整数\n3、上传的文件中付款 email 格式必须正确\n4、上传账号与文件中的 email 应一致", "The summary line is wrong: the date (yyyyMMdd), the count (a positive whole number), the payer email, or the email is not the uploading account.", "Fix the file's second line as the message lists, and upload it again (the upload was refused, so the name is still free)."),
        Upload("FREEZE_DETAIL_LIMIT", "一个批次流水不得大于 3000 条", "More than 3000 payments in one batch.", "Split the payments into batches of at most 3000, each under its own new name."),
        Upload("FILE_ZIP_LIMIT", "抱歉，您上传的压缩包里只能有一个 csv 或 xls 格式的文件！", "The zip holds more than one file.", "Put exactly one .csv or .xls in the zip."),
        Upload("BATCH_PAY_TO_BANK", "该账户没有批量到卡 T+0 或者 T+1 权限", "The account may not pay batches to bank accounts (T+0 or T+1).", "Ask Alipay to enable batch payments to bank accounts, or send bussiness_type T1 if only T+0 is missing."),
        Upload("PAY_USER_INFO_ERROR", "上传文件中的付款账户必须是目前登录的账户，或是与此登录账户绑定的账户", "The payer account in the file is not the uploading account or one bound to it.", "Write the uploading Alipay account (or one bound to it) as the file's 支付宝账号."),
        Upload("STATE_SHOULD_T", "非常抱歉，您非正常状态用户，不允许该项操作！", "The account is not in a normal state.", CallSupport),
        Upload("FILE_INFO_FORMAT_ERROR", "抱歉，您上传的文件头列数必须大于 3 列", "The file's header has 3 columns or fewer.", "Write the summary and header lines in the format of upload spec 4.3."),
        Upload("FILE_NAME_C", "非常抱歉，您输入文件名内容不符合规则！", "The file name breaks Alipay's naming rules.", "Use a plain file name: letters, digits, '_' and '-', with the .csv, .xls or .zip extension."),
        Upload("MONEY_FORMAT_ERROR", "文件中第二行第二列的金额不正确。格式必须为半角的数字，最高精确到分，金额必须大于 0", "The total amount (second line, second column) is not a positive amount in yuan with at most 2 decimals.", "Write the total as a plain number such as 100.00, formatted as text in a spreadsheet."),
        Upload("FILE_NAME_NULL", "非常抱歉，文件名不能为空！", "The file came without a name.", "Send the file name in the bptb_pay_file part's filename."),
        Upload("ZIP_INFILE_NULL", "非常抱歉，您上传的压缩包里没有文件！", "The zip is empty.", "Put the .csv or .xls in the zip."),
        Upload("FORMULA_FORMAT_ERROR", "总金额项不能为公式类型，请重新填写！", "The total amount is a spreadsheet formula.", "Write the total as a value, not a formula."),
        Upload("UPLOAD_USER_ID_NULL", "上传用户 ID 为空！", "The uploading user's ID is empty.", "Check partner; if it is right, ask Alipay's technical support."),
        Upload("BIZ_PRODUCT_ILLEGAL", "非常抱歉，您没有签约相关产品！", "The account has no contract for this product.", "Ask Alipay to sign batch payments to bank accounts for the account."),
        new ErrorCode("ILLEGAL_DIGEST_TYP", "upload 8.2", "不支持的摘要类型或者摘要的类型为空", "The digest type is not supported or empty (table 8.2's spelling; 8.1 lists ILLEGAL_DIGEST_TYPE).", "Send file_digest_type MD5 or SHA, and digest_bptb_pay_file computed with it.", uploadMessage: "不支持的摘要类型或者摘要的类型为空", uploadSection: "8.2", confirm: false),

        // Rules 3-1 (错误码处理) names these two beside SYSTEM_ERROR; spec 10 does not list them. UNKNOWN_EXCEPTION's
        // meaning is the one of the upload interface (bptb_pay_file_confirm 8.3); GENERIC_FAILURE has none in any spec.
        new ErrorCode("UNKNOWN_EXCEPTION", "rules 3-1", "未知异常", "Unknown exception at Alipay: the state of the account is unknown.", StopAllAction, stopAll: true, uploadMessage: "未知异常", uploadSection: "8.3"),
        new ErrorCode("GENERIC_FAILURE", "rules 3-1", "特殊错误码（规则 3-1 所列，规范未给出含义）", "A generic failure at Alipay, with no further meaning given: the state of the account is unknown.", StopAllAction, stopAll: true, upload: true),
    };

    private static readonly Dictionary<string, ErrorCode> ByCode = All.ToDictionary(e => e.Code, StringComparer.Ordinal);

    private static readonly Dictionary<string, ErrorCode> ByUploadMessage = All.Where(e => e.UploadMessage != null).ToDictionary(e => MessageKey(e.UploadMessage!), StringComparer.Ordinal);

    private static ErrorCode Upload(string code, string message, string description, string action) =>
        new(code, "upload 8.1", message, description, action, uploadMessage: message, uploadSection: "8.1", confirm: false);
}
