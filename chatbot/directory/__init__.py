"""The company directory in the database: people, groups, memberships, managers, time zones,
and chat identity links. Seeded from the TOML file, fed by SCIM (`chatbot.directory.scim`)."""
