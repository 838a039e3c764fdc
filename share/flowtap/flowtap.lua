-- flowtap.lua - Wireshark dissector for flowtap/user0 debug-capture streams.
--
-- A user0 stream is a classic pcap file with linktype 147 (LINKTYPE_USER0).
-- Each record starts with a prefix, then the IP packet:
--
--   +--------+-----+----------------+-----+----------------+-----------...
--   | path   | len | pre-SNAT addr  | len | pre-DNAT addr  | IP packet
--   | u16 LE | u8  | 0, 4 or 16 B   | u8  | 0, 4 or 16 B   |
--   +--------+-----+----------------+-----+----------------+-----------...
--
-- Use: wireshark -X lua_script:flowtap.lua capture.pcap
--      flowtap capture -o - | wireshark -X lua_script:$(flowtap dissector --path) -k -i -
-- Fields: flowtap.path, flowtap.path_name, flowtap.snat.ip4, flowtap.snat.ip6,
--         flowtap.dnat.ip4, flowtap.dnat.ip6.

local flowtap = Proto("flowtap", "flowtap debug capture")

local path_names = {
    [0] = "from-local",
    [1] = "from-peer",
    [2] = "synthesized-to-local",
    [3] = "synthesized-to-peer",
    [254] = "disco",
    [65535] = "none",
}

local f_path = ProtoField.uint16("flowtap.path", "Path", base.DEC, path_names)
local f_path_name = ProtoField.string("flowtap.path_name", "Path name")
local f_snat_len = ProtoField.uint8("flowtap.snat.len", "Pre-SNAT address length", base.DEC)
local f_snat4 = ProtoField.ipv4("flowtap.snat.ip4", "Pre-SNAT source")
local f_snat6 = ProtoField.ipv6("flowtap.snat.ip6", "Pre-SNAT source")
local f_dnat_len = ProtoField.uint8("flowtap.dnat.len", "Pre-DNAT address length", base.DEC)
local f_dnat4 = ProtoField.ipv4("flowtap.dnat.ip4", "Pre-DNAT destination")
local f_dnat6 = ProtoField.ipv6("flowtap.dnat.ip6", "Pre-DNAT destination")
flowtap.fields = { f_path, f_path_name, f_snat_len, f_snat4, f_snat6, f_dnat_len, f_dnat4, f_dnat6 }

local e_short = ProtoExpert.new("flowtap.short", "Truncated flowtap prefix",
    expert.group.MALFORMED, expert.severity.ERROR)
local e_addrlen = ProtoExpert.new("flowtap.addrlen", "Address length is not 0, 4 or 16",
    expert.group.MALFORMED, expert.severity.ERROR)
flowtap.experts = { e_short, e_addrlen }

local ip_dissector = Dissector.get("ip")
local data_dissector = Dissector.get("data")

-- Adds one length-prefixed address; returns the new offset or nil on error.
local function add_addr(buf, tree, off, f_len, f4, f6)
    if buf:len() < off + 1 then
        tree:add_proto_expert_info(e_short)
        return nil
    end
    local len = buf(off, 1):uint()
    tree:add(f_len, buf(off, 1))
    off = off + 1
    if len ~= 0 and len ~= 4 and len ~= 16 then
        tree:add_proto_expert_info(e_addrlen)
        return nil
    end
    if buf:len() < off + len then
        tree:add_proto_expert_info(e_short)
        return nil
    end
    if len == 4 then
        tree:add(f4, buf(off, 4))
    elseif len == 16 then
        tree:add(f6, buf(off, 16))
    end
    return off + len
end

function flowtap.dissector(buf, pinfo, tree)
    local tlen = buf:len()
    pinfo.cols.protocol = "flowtap"
    local t = tree:add(flowtap, buf(), "flowtap")
    if tlen < 4 then
        t:add_proto_expert_info(e_short)
        return tlen
    end
    local path = buf(0, 2):le_uint()
    local name = path_names[path] or ("path-" .. path)
    t:add_le(f_path, buf(0, 2))
    t:add(f_path_name, buf(0, 2), name)
    t:append_text(", " .. name)
    local off = add_addr(buf, t, 2, f_snat_len, f_snat4, f_snat6)
    if off then
        off = add_addr(buf, t, off, f_dnat_len, f_dnat4, f_dnat6)
    end
    if not off then
        return tlen
    end
    t:set_len(off)
    if off >= tlen then
        pinfo.cols.info = "[" .. name .. "]"
        return tlen
    end
    local rest = buf(off):tvb()
    local v = math.floor(rest(0, 1):uint() / 16)
    if v == 4 or v == 6 then
        ip_dissector:call(rest, pinfo, tree)
    else
        data_dissector:call(rest, pinfo, tree)
    end
    pinfo.cols.info:prepend("[" .. name .. "] ")
    return tlen
end

local wtap_encap_table = DissectorTable.get("wtap_encap")
wtap_encap_table:add(wtap.USER0, flowtap)
