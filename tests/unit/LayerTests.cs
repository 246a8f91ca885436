using System;
using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Reflection.Emit;
using AlipayBptb.Core.Signing;
using Xunit;

namespace AlipayBptb.Tests;

/// <summary>
/// The layers of the core, held by the compiled code rather than by folder names: every type a namespace
/// uses (in signatures, fields, base types, attributes, generic arguments and method bodies) must come from
/// a namespace it is allowed to use. An arrow that runs the wrong way fails here, naming both ends.
/// </summary>
public sealed class LayerTests
{
    private const string Root = "AlipayBptb.Core.";

    // What each layer of the core may use besides itself (README, "Design"). Nothing in the core uses the
    // local gateway (a separate assembly) or PowerShell.
    private static readonly Dictionary<string, string[]> Allowed = new()
    {
        ["Signing"] = [],
        ["Rules"] = [],
        ["Hosting"] = [],
        ["Notifications"] = ["Signing", "Rules"],
        ["Gateway"] = ["Signing", "Rules"],
        ["Receiver"] = ["Signing", "Rules", "Notifications", "Gateway", "Hosting"],
        ["Ledger"] = ["Signing", "Rules", "Notifications"],
        ["PaymentFiles"] = ["Signing", "Rules"],
        ["Batches"] = ["Signing", "Rules", "Notifications", "Gateway", "PaymentFiles", "Ledger"],
    };

    [Fact]
    public void Every_namespace_of_the_core_is_a_known_layer()
    {
        string[] unknown = typeof(SignString).Assembly.GetTypes()
            .Select(LayerOf)
            .Where(l => l != null && !Allowed.ContainsKey(l))
            .Distinct()
            .ToArray()!;
        Assert.True(unknown.Length == 0, "namespaces without a place in the layers: " + string.Join(", ", unknown));
    }

    [Fact]
    public void Arrows_in_the_core_run_only_downward()
    {
        var wrong = new SortedSet<string>(StringComparer.Ordinal);
        foreach (Type type in typeof(SignString).Assembly.GetTypes())
        {
            string? from = LayerOf(type);
            if (from == null || !Allowed.TryGetValue(from, out string[]? allowed))
            {
                continue;
            }
            foreach (Type used in UsedTypes(type))
            {
                string? to = LayerOf(used);
                if (used.Assembly == type.Assembly && to != null && to != from && !allowed.Contains(to))
                {
                    wrong.Add($"{from} -> {to}: {Outermost(type).FullName} uses {Outermost(used).FullName}");
                }
            }
        }
        Assert.True(wrong.Count == 0, "arrows that run the wrong way:\n" + string.Join("\n", wrong));
    }

    [Theory]
    [InlineData("AlipayBptb.Mock")]
    [InlineData("AlipayBptb.Cmdlets")]
    [InlineData("System.Management.Automation")]
    public void The_core_does_not_reference(string assembly)
    {
        Assert.DoesNotContain(typeof(SignString).Assembly.GetReferencedAssemblies(), a => a.Name == assembly);
    }

    [Fact]
    public void The_local_gateway_is_used_by_nothing_of_the_core()
    {
        Assembly mock = typeof(AlipayBptb.Mock.LocalGateway).Assembly;
        Assert.Contains(mock.GetReferencedAssemblies(), a => a.Name == "AlipayBptb.Core");
        Assert.DoesNotContain(mock.GetReferencedAssemblies(), a => a.Name == "System.Management.Automation");
    }

    [Fact]
    public void The_checker_sees_uses_inside_method_bodies()
    {
        // A guard for the guard: a type used only inside a lambda of a method body is still found.
        Assert.Contains(typeof(Uri), UsedTypes(typeof(Probe)));
    }

    private sealed class Probe
    {
        public static Func<string, bool> Check => s => Uri.IsWellFormedUriString(s, UriKind.Absolute);
    }

    private static string? LayerOf(Type type)
    {
        string? ns = Outermost(type).Namespace;
        if (ns == null || !ns.StartsWith(Root, StringComparison.Ordinal))
        {
            return null;
        }
        string rest = ns.Substring(Root.Length);
        int dot = rest.IndexOf('.');
        return dot < 0 ? rest : rest.Substring(0, dot);
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType != null)
        {
            type = type.DeclaringType;
        }
        return type;
    }

    private const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static HashSet<Type> UsedTypes(Type type)
    {
        var found = new HashSet<Type>();
        void Add(Type? t)
        {
            if (t == null || t.IsGenericParameter || !found.Add(t))
            {
                return;
            }
            if (t.HasElementType)
            {
                Add(t.GetElementType());
            }
            if (t.IsGenericType)
            {
                foreach (Type a in t.GetGenericArguments())
                {
                    Add(a);
                }
            }
        }
        void AddAttributes(IList<CustomAttributeData> attributes)
        {
            foreach (CustomAttributeData a in attributes)
            {
                Add(a.AttributeType);
            }
        }
        foreach (Type t in new[] { type }.Concat(type.GetNestedTypes(All).SelectMany(Nested)))
        {
            Add(t.BaseType);
            foreach (Type i in t.GetInterfaces())
            {
                Add(i);
            }
            AddAttributes(t.GetCustomAttributesData());
            foreach (FieldInfo f in t.GetFields(All))
            {
                Add(f.FieldType);
                AddAttributes(f.GetCustomAttributesData());
            }
            foreach (PropertyInfo p in t.GetProperties(All))
            {
                Add(p.PropertyType);
            }
            foreach (MethodBase m in t.GetMethods(All).Cast<MethodBase>().Concat(t.GetConstructors(All)))
            {
                if (m is MethodInfo mi)
                {
                    Add(mi.ReturnType);
                }
                foreach (ParameterInfo p in m.GetParameters())
                {
                    Add(p.ParameterType);
                }
                MethodBody? body = m.GetMethodBody();
                if (body == null)
                {
                    continue;
                }
                foreach (LocalVariableInfo l in body.LocalVariables)
                {
                    Add(l.LocalType);
                }
                foreach (MemberInfo member in TokensIn(m, body.GetILAsByteArray() ?? []))
                {
                    Add(member as Type ?? member.DeclaringType);
                    if (member is FieldInfo fi)
                    {
                        Add(fi.FieldType);
                    }
                    if (member is MethodInfo called)
                    {
                        Add(called.ReturnType);
                    }
                }
            }
        }
        return found;
    }

    private static IEnumerable<Type> Nested(Type t) => new[] { t }.Concat(t.GetNestedTypes(All).SelectMany(Nested));

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>The members that the metadata tokens of a method body name (calls, fields, types, casts).</summary>
    private static IEnumerable<MemberInfo> TokensIn(MethodBase method, byte[] il)
    {
        Type[]? typeArgs = method.DeclaringType is { IsGenericType: true } d ? d.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int i = 0;
        while (i < il.Length)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            i += il[i] == 0xFE ? 2 : 1;
            OpCode op = OpCodesByValue[value];
            switch (op.OperandType)
            {
                case OperandType.InlineMethod:
                case OperandType.InlineField:
                case OperandType.InlineType:
                case OperandType.InlineTok:
                    MemberInfo? member = null;
                    try
                    {
                        member = method.Module.ResolveMember(BitConverter.ToInt32(il, i), typeArgs, methodArgs);
                    }
                    catch (ArgumentException)
                    {
                        // A token that needs a generic context this method does not give: not one of ours.
                    }
                    if (member != null)
                    {
                        yield return member;
                    }
                    i += 4;
                    break;
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget:
                case OperandType.ShortInlineI:
                case OperandType.ShortInlineVar:
                    i += 1;
                    break;
                case OperandType.InlineVar:
                    i += 2;
                    break;
                case OperandType.InlineI8:
                case OperandType.InlineR:
                    i += 8;
                    break;
                case OperandType.InlineSwitch:
                    i += 4 + (4 * BitConverter.ToInt32(il, i));
                    break;
                default:
                    i += 4;
                    break;
            }
        }
    }
}
