-- SPDX-License-Identifier: BSD-2-Clause
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
-- On the disco path (254) the record holds either an IP packet or, as in
-- Tailscale's own debug captures, a disco message with its metadata:
--
--   +-------+-----------+----------+----------+----------+--------+--------------
--   | flags | DERP key  | src port | addr len | src addr | length | disco message
--   | u8    | 32 B      | u16 LE   | u16 LE   | 4/16 B   | u16 LE | (decrypted)
--   +-------+-----------+----------+----------+----------+--------+--------------
--
-- flags bit 0: received over DERP (the key is the DERP server's). The disco
-- message is a type (u8), a version (u8) and the body of Tailscale's
-- disco/disco.go: 1 ping (TxID, node key, padding), 2 pong (TxID, source
-- address and port), 3 call-me-maybe (endpoints), 4-6 bind-udp-relay-endpoint,
-- -challenge, -answer (VNI, generation, remote disco key, challenge),
-- 7 call-me-maybe-via (server and client disco keys, Lamport ID, VNI,
-- lifetimes, endpoints). Multi-byte fields of the message are big-endian.
-- A record whose first byte is 0x4X or 0x6X is an IP packet instead.
--
-- Use: wireshark -X lua_script:flowtap.lua capture.pcap
--      flowtap capture -o - | wireshark -X lua_script:$(flowtap dissector --path) -k -i -
-- Fields: flowtap.path, flowtap.path_name, flowtap.snat.ip4, flowtap.snat.ip6,
--         flowtap.dnat.ip4, flowtap.dnat.ip6; on the disco path
--         flowtap.disco.derp, .derp_key, .src_port, .src.ip4/.ip6, .type,
--         .type_name, .version, .txid, .node_key, .padding, .pong_src,
--         .pong_port, .endpoint, .endpoint_port, .vni, .generation,
--         .remote_key, .challenge, .server_key, .client_key, .lamport_id,
--         .bind_lifetime, .steady_lifetime.

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

-- The disco path (see the top of the file).
local disco = Proto("flowtap.disco", "Tailscale disco (flowtap)")
local disco_types = {
    [1] = "ping",
    [2] = "pong",
    [3] = "call-me-maybe",
    [4] = "bind-udp-relay-endpoint",
    [5] = "bind-udp-relay-endpoint-challenge",
    [6] = "bind-udp-relay-endpoint-answer",
    [7] = "call-me-maybe-via",
    [8] = "allocate-udp-relay-endpoint-request",
    [9] = "allocate-udp-relay-endpoint-response",
}
local d = {
    derp = ProtoField.bool("flowtap.disco.derp", "From DERP"),
    derp_key = ProtoField.bytes("flowtap.disco.derp_key", "DERP public key"),
    src_port = ProtoField.uint16("flowtap.disco.src_port", "Source port", base.DEC),
    src4 = ProtoField.ipv4("flowtap.disco.src.ip4", "Source address"),
    src6 = ProtoField.ipv6("flowtap.disco.src.ip6", "Source address"),
    type = ProtoField.uint8("flowtap.disco.type", "Message type", base.DEC, disco_types),
    type_name = ProtoField.string("flowtap.disco.type_name", "Message type name"),
    version = ProtoField.uint8("flowtap.disco.version", "Version", base.DEC),
    txid = ProtoField.bytes("flowtap.disco.txid", "Transaction ID"),
    node_key = ProtoField.bytes("flowtap.disco.node_key", "Node key"),
    padding = ProtoField.uint32("flowtap.disco.padding", "Padding bytes", base.DEC),
    pong_src = ProtoField.ipv6("flowtap.disco.pong_src", "Pong source (IPv6 or v4-mapped)"),
    pong_port = ProtoField.uint16("flowtap.disco.pong_port", "Pong source port", base.DEC),
    endpoint = ProtoField.ipv6("flowtap.disco.endpoint", "Endpoint (IPv6 or v4-mapped)"),
    endpoint_port = ProtoField.uint16("flowtap.disco.endpoint_port", "Endpoint port", base.DEC),
    vni = ProtoField.uint32("flowtap.disco.vni", "VNI", base.DEC),
    generation = ProtoField.uint32("flowtap.disco.generation", "Generation", base.DEC),
    remote_key = ProtoField.bytes("flowtap.disco.remote_key", "Remote disco key"),
    challenge = ProtoField.bytes("flowtap.disco.challenge", "Challenge"),
    server_key = ProtoField.bytes("flowtap.disco.server_key", "Server disco key"),
    client_key = ProtoField.bytes("flowtap.disco.client_key", "Client disco key"),
    lamport_id = ProtoField.uint64("flowtap.disco.lamport_id", "Lamport ID", base.DEC),
    bind_lifetime = ProtoField.uint64("flowtap.disco.bind_lifetime", "Bind lifetime (ns)", base.DEC),
    steady_lifetime = ProtoField.uint64("flowtap.disco.steady_lifetime",
        "Steady-state lifetime (ns)", base.DEC),
    trailing = ProtoField.bytes("flowtap.disco.trailing", "Trailing data"),
}
disco.fields = {
    d.derp, d.derp_key, d.src_port, d.src4, d.src6, d.type, d.type_name, d.version, d.txid,
    d.node_key, d.padding, d.pong_src, d.pong_port, d.endpoint, d.endpoint_port, d.vni,
    d.generation, d.remote_key, d.challenge, d.server_key, d.client_key, d.lamport_id,
    d.bind_lifetime, d.steady_lifetime, d.trailing,
}
local e_disco_short = ProtoExpert.new("flowtap.disco.short", "Truncated disco message",
    expert.group.MALFORMED, expert.severity.ERROR)
disco.experts = { e_disco_short }

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

-- Endpoints: 16-byte addresses (IPv4 v4-mapped) and big-endian ports.
local function add_endpoints(buf, t, off, stop)
    local n = 0
    while off + 18 <= stop do
        t:add(d.endpoint, buf(off, 16))
        t:add(d.endpoint_port, buf(off + 16, 2))
        off, n = off + 18, n + 1
    end
    return off, n
end

-- The body of disco message type @ty at @off; returns the end and a summary.
local function disco_body(buf, t, ty, off)
    local stop = buf:len()
    local function need(n)
        if off + n > stop then
            t:add_proto_expert_info(e_disco_short)
            return false
        end
        return true
    end
    if ty == 1 then -- ping
        if not need(12) then return stop, "" end
        t:add(d.txid, buf(off, 12))
        local s = "tx=" .. buf(off, 6):bytes():tohex():lower()
        off = off + 12
        if off + 32 <= stop then
            t:add(d.node_key, buf(off, 32))
            off = off + 32
        end
        t:add(d.padding, stop - off)
        return stop, s
    elseif ty == 2 then -- pong
        if not need(30) then return stop, "" end
        t:add(d.txid, buf(off, 12))
        t:add(d.pong_src, buf(off + 12, 16))
        t:add(d.pong_port, buf(off + 28, 2))
        return off + 30, "tx=" .. buf(off, 6):bytes():tohex():lower() ..
            " src port " .. buf(off + 28, 2):uint()
    elseif ty == 3 then -- call-me-maybe
        local n
        off, n = add_endpoints(buf, t, off, stop)
        return off, n .. " endpoints"
    elseif ty >= 4 and ty <= 6 then -- bind-udp-relay-endpoint{,-challenge,-answer}
        if not need(72) then return stop, "" end
        t:add(d.vni, buf(off, 4))
        t:add(d.generation, buf(off + 4, 4))
        t:add(d.remote_key, buf(off + 8, 32))
        t:add(d.challenge, buf(off + 40, 32))
        return off + 72, "vni " .. buf(off, 4):uint() .. " gen " .. buf(off + 4, 4):uint()
    elseif ty == 7 then -- call-me-maybe-via
        if not need(124) then return stop, "" end
        t:add(d.server_key, buf(off, 32))
        t:add(d.client_key, buf(off + 32, 32))
        t:add(d.client_key, buf(off + 64, 32))
        t:add(d.lamport_id, buf(off + 96, 8))
        t:add(d.vni, buf(off + 104, 4))
        t:add(d.bind_lifetime, buf(off + 108, 8))
        t:add(d.steady_lifetime, buf(off + 116, 8))
        local vni, n = buf(off + 104, 4):uint()
        off, n = add_endpoints(buf, t, off + 124, stop)
        return off, "vni " .. vni .. ", " .. n .. " endpoints"
    end
    return off, ""
end

-- A disco record: metadata, then the message. Returns the info text.
local function disco_dissect(buf, pinfo, tree)
    local t = tree:add(disco, buf(), "Tailscale disco")
    if buf:len() < 37 then
        t:add_proto_expert_info(e_disco_short)
        return "disco (truncated)"
    end
    local from_derp = buf(0, 1):uint() % 2 == 1
    t:add(d.derp, buf(0, 1), from_derp)
    if from_derp then
        t:add(d.derp_key, buf(1, 32))
    end
    t:add_le(d.src_port, buf(33, 2))
    local alen = buf(35, 2):le_uint()
    local off = 37
    if (alen ~= 4 and alen ~= 16) or buf:len() < off + alen + 2 + 2 then
        t:add_proto_expert_info(e_disco_short)
        return "disco (truncated)"
    end
    local src
    if alen == 4 then
        t:add(d.src4, buf(off, 4))
        src = tostring(buf(off, 4):ipv4())
    else
        t:add(d.src6, buf(off, 16))
        src = "[" .. tostring(buf(off, 16):ipv6()) .. "]"
    end
    off = off + alen + 2 -- and the message length
    local ty, ver = buf(off, 1):uint(), buf(off + 1, 1):uint()
    local tname = disco_types[ty] or ("type-" .. ty)
    t:add(d.type, buf(off, 1))
    t:add(d.type_name, buf(off, 1), tname)
    t:add(d.version, buf(off + 1, 1))
    local stop, summary = disco_body(buf, t, ty, off + 2)
    if stop < buf:len() then
        t:add(d.trailing, buf(stop))
    end
    pinfo.cols.protocol = "disco"
    t:append_text(", " .. tname)
    return "disco " .. tname .. (summary ~= "" and (" " .. summary) or "") ..
        (from_derp and " via DERP" or "") .. " from " .. src .. ":" .. buf(33, 2):le_uint()
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
    elseif path == 254 then
        pinfo.cols.info = disco_dissect(rest, pinfo, tree)
    else
        data_dissector:call(rest, pinfo, tree)
    end
    pinfo.cols.info:prepend("[" .. name .. "] ")
    return tlen
end

local wtap_encap_table = DissectorTable.get("wtap_encap")
wtap_encap_table:add(wtap.USER0, flowtap)
